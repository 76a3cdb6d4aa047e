import Foundation
import PodnetAddress
import PodnetTopology
import Testing

/// The valid dual-stack files in Fixtures/dual-stack (which the schema check also
/// holds to the schema): valid without warnings, every pod and node given each of
/// the cluster's families, and applied by the reconciling commands (their services
/// in proxy mode nftables, the default).
@Suite struct DualStackFixtureTests {
    static let files = RepositoryPaths.yamlFiles(in: RepositoryPaths.fixtures.appendingPathComponent("dual-stack"))

    @Test func thereAreDualStackFixtures() {
        #expect(Self.files.count >= 2)
    }

    @Test(arguments: files)
    func fileIsValidAndDualStack(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let result = TopologyLoader.load(text: text, file: url.lastPathComponent)
        let topology = try #require(result.topology, "\(url.lastPathComponent): \(result.diagnostics.map { "\($0.line):\($0.column) \($0.message)" })")
        #expect(result.warnings.isEmpty, "\(url.lastPathComponent): \(result.warnings.map(\.message))")
        let cluster = try #require(topology.ipv6)
        for node in topology.nodes {
            let podCIDR = try #require(node.podCIDRv6, "node \(node.name) has no IPv6 podCIDR")
            #expect(podCIDR.length == 64 && cluster.clusterCIDR.contains(podCIDR))
            #expect((node.addressV6 != nil) == (cluster.underlayCIDR != nil))
        }
        for pod in topology.pods {
            let node = try #require(topology.node(named: pod.node))
            let address = try #require(pod.ipv6, "pod \(pod.name) has no IPv6 address")
            #expect(node.podCIDRv6!.contains(address) && address != node.gatewayV6)
        }
        for service in topology.services {
            let families = try #require(service.ipFamilies)
            #expect((service.clusterIPv6 != nil) == families.contains(.ipv6))
            #expect((service.clusterIP != nil) == families.contains(.ipv4))
            if let address = service.clusterIPv6 { #expect(cluster.serviceCIDR!.contains(address)) }
        }
    }

    @Test func ipv6PrimaryHostGWFileAllocatesAsWritten() throws {
        let url = RepositoryPaths.fixtures.appendingPathComponent("dual-stack/host-gw-ipv6-primary.yaml")
        let topology = try loadValid(try String(contentsOf: url, encoding: .utf8))
        #expect(topology.families == [.ipv6, .ipv4])
        #expect(topology.nodes.map(\.addressV6) == [ipv6("fd00:64::10"), ipv6("fd00:64::4")])
        #expect(topology.nodes.map(\.podCIDRv6) == [prefixV6("fd00:200::/64"), prefixV6("fd00:200:0:1::/64")])
        #expect(topology.pods.map(\.ipv6) == [ipv6("fd00:200::2"), ipv6("fd00:200:0:1::9")])
        #expect(topology.services[0].clusterIPv6 == ipv6("fd00:96::53"))
        #expect(topology.services[0].ipFamilies == [.ipv6, .ipv4])
    }
}
