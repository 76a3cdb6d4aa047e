import Foundation
import PodnetAddress
import PodnetTopology
import Testing

/// IPv6-only clusters (Fixtures/ipv6-only): clusterCIDR lists an IPv6 prefix alone, and
/// then no pod, pod CIDR or ClusterIP has an IPv4 value; the nodes keep their IPv4
/// underlay addresses. And single-stack IPv6 services in a dual-stack cluster.
@Suite struct IPv6OnlyTests {
    static let files = RepositoryPaths.yamlFiles(in: RepositoryPaths.fixtures.appendingPathComponent("ipv6-only"))

    static func fixture(_ name: String) throws -> Topology {
        try loadValid(try String(contentsOf: RepositoryPaths.fixtures.appendingPathComponent(name), encoding: .utf8))
    }

    @Test func thereAreIPv6OnlyFixtures() { #expect(Self.files.count >= 2) }

    @Test(arguments: files)
    func everyValueIsIPv6(_ url: URL) throws {
        let result = TopologyLoader.load(text: try String(contentsOf: url, encoding: .utf8), file: url.lastPathComponent)
        let topology = try #require(result.topology, "\(url.lastPathComponent): \(result.diagnostics.map(\.message))")
        #expect(result.warnings.isEmpty, "\(result.warnings.map(\.message))")
        #expect(topology.families == [.ipv6] && !topology.usesIPv4 && topology.primaryFamily == .ipv6)
        #expect(topology.clusterCIDR == nil && topology.serviceCIDR == nil)
        let cluster = try #require(topology.ipv6)
        for node in topology.nodes {
            #expect(node.podCIDR == nil && node.gateway == nil, "node \(node.name)")
            let podCIDR = try #require(node.podCIDRv6)
            #expect(podCIDR.length == 64 && cluster.clusterCIDR.contains(podCIDR))
            // An address in each family of the underlay (IPv4's kept where it has one).
            for family in AddressFamily.allCases {
                guard let underlay = topology.underlayCIDR(family) else { #expect(node.address(family) == nil); continue }
                #expect(underlay.contains(try #require(node.address(family))), "node \(node.name), \(family)")
            }
        }
        for pod in topology.pods {
            #expect(pod.ip == nil && pod.ip(.ipv4) == nil, "pod \(pod.name)")
            #expect(topology.node(named: pod.node)!.podCIDRv6!.contains(try #require(pod.ipv6)))
        }
        for service in topology.services {
            #expect(service.clusterIP == nil && service.ipFamilies == [.ipv6], "service \(service.name)")
            #expect(cluster.serviceCIDR!.contains(try #require(service.clusterIPv6)))
        }
    }

    @Test func writtenValuesAreKeptAndTheRestAllocatedInOrder() throws {
        let topology = try Self.fixture("ipv6-only/host-gw.yaml")
        #expect(topology.nodes.map(\.podCIDRv6) == [prefixV6("fd00:200::/64"), prefixV6("fd00:200:0:7::/64")])
        #expect(topology.nodes.map(\.addressV6) == [ipv6("fd00:64::4"), ipv6("fd00:64::5")])
        #expect(topology.pods.map(\.ipv6) == [ipv6("fd00:200::2"), ipv6("fd00:200:0:7::20")])
        #expect(topology.services.map(\.clusterIPv6) == [ipv6("fd00:96::1"), ipv6("fd00:96::a")])
        #expect(topology.services.map(\.endpoints) == [["a0", "b0"], ["b0"]])
    }

    @Test func liveIPv6AssignmentsAreKept() throws {
        let text = """
        name: v6
        clusterCIDR: fd00:200::/48
        serviceCIDR: fd00:96::/112
        nodes: [{ name: node-1 }, { name: node-2 }]
        pods: [{ name: b, node: node-1, labels: { app: web } }]
        services: [{ name: web, selector: { app: web }, ports: [{ port: 80 }] }]
        """
        let live = LiveAssignments(podCIDRsV6: ["node-1": prefixV6("fd00:200:0:1::/64")],
                                   podIPsV6: ["b": ipv6("fd00:200:0:1::9")], clusterIPsV6: ["web": ipv6("fd00:96::7")])
        let topology = try loadValid(text, live: live)
        #expect(topology.nodes.map(\.podCIDRv6) == [prefixV6("fd00:200:0:1::/64"), prefixV6("fd00:200::/64")])
        #expect(topology.pods.map(\.ipv6) == [ipv6("fd00:200:0:1::9")])
        #expect(topology.services.map(\.clusterIPv6) == [ipv6("fd00:96::7")])
    }

    /// `podnet validate --output json` leaves out the IPv4 keys an IPv6-only cluster lacks, and reads back.
    @Test func theJSONHasNoIPv4KeysAndReadsBack() throws {
        let topology = try Self.fixture("ipv6-only/host-gw.yaml")
        let json = try JSONEncoder().encode(topology)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["clusterCIDR"] == nil)
        let node = try #require((object["nodes"] as? [[String: Any]])?.first)
        #expect(node["podCIDR"] == nil && node["gateway"] == nil && node["podCIDRv6"] != nil && node["address"] != nil)
        let pod = try #require((object["pods"] as? [[String: Any]])?.first)
        #expect(pod["ip"] == nil && pod["ipv6"] != nil)
        #expect(try JSONDecoder().decode(Topology.self, from: json) == topology)
    }

    @Test func aDualStackClusterHasSingleStackServicesOfEitherFamily() throws {
        let topology = try Self.fixture("dual-stack/ipv6-single-stack-service.yaml")
        let services = Dictionary(uniqueKeysWithValues: topology.services.map { ($0.name, $0) })
        #expect(services["web6"]?.clusterIP == nil && services["web6"]?.clusterIPv6 == ipv6("fd00:96::1"))
        #expect(services["web6"]?.ipFamilies == [.ipv6])
        #expect(services["web4"]?.clusterIP == ip("10.96.0.1") && services["web4"]?.clusterIPv6 == nil)
        #expect(services["both"]?.clusterIP == ip("10.96.0.2") && services["both"]?.clusterIPv6 == ipv6("fd00:96::2"))
    }
}
