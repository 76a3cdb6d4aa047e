import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// Proxy mode nftables in a dual-stack cluster: the `ip` table as it was, and an
/// `ip6` table of the same layout for the IPv6 ClusterIPs, endpoints and cluster CIDR.
@Suite struct NFTablesProxyIPv6RendererTests {
    static let dualStack = """
    name: lab
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    network: { backend: host-gw, masquerade: true }
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    nodes:
      - { name: node-0, podCIDR: [10.200.0.0/24, fd00:200::/64] }
      - { name: node-1, podCIDR: [10.200.1.0/24, "fd00:200:0:1::/64"] }
    pods:
      - { name: a0, node: node-0, ip: [10.200.0.2, fd00:200::2], labels: { app: web } }
      - { name: b, node: node-1, ip: [10.200.1.2, "fd00:200:0:1::2"], labels: { app: web } }
    services:
      - { name: web, clusterIP: [10.96.0.2, "fd00:96::2"], selector: { app: web }, ports: [{ port: 8080 }] }
      - { name: empty, clusterIP: [10.96.0.3, "fd00:96::3"], endpoints: [], ports: [{ port: 53, protocol: UDP }] }
      - { name: v4, ipFamilies: [IPv4], clusterIP: 10.96.0.5, selector: { app: web }, ports: [{ port: 81 }] }
    """

    /// The same cluster without its IPv6 side.
    static let ipv4Only = dualStack
        .replacingOccurrences(of: "[10.200.0.0/16, fd00:200::/48]", with: "10.200.0.0/16")
        .replacingOccurrences(of: "[10.96.0.0/12, fd00:96::/112]", with: "10.96.0.0/12")
        .replacingOccurrences(of: "[192.168.64.0/24, fd00:64::/64]", with: "192.168.64.0/24")
        .replacingOccurrences(of: "[10.200.0.0/24, fd00:200::/64]", with: "10.200.0.0/24")
        .replacingOccurrences(of: "[10.200.1.0/24, \"fd00:200:0:1::/64\"]", with: "10.200.1.0/24")
        .replacingOccurrences(of: "[10.200.0.2, fd00:200::2]", with: "10.200.0.2")
        .replacingOccurrences(of: "[10.200.1.2, \"fd00:200:0:1::2\"]", with: "10.200.1.2")
        .replacingOccurrences(of: "[10.96.0.2, \"fd00:96::2\"]", with: "10.96.0.2")
        .replacingOccurrences(of: "[10.96.0.3, \"fd00:96::3\"]", with: "10.96.0.3")

    static func table(_ text: String = dualStack, family: AddressFamily) throws -> NFTable? {
        let topology = try NFTablesProxyRendererTests.topology(text)
        return NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[0], in: .named("lab.node-0"), family: family)
    }

    static func texts(_ table: NFTable, _ chain: String) throws -> [String] {
        try #require(table.chains[chain], "no chain \(chain)").rules.map { NFTSyntax.text(of: $0, family: table.id.family) ?? "(not expressible)" }
    }

    typealias Names = NFTablesProxyNames

    @Test func theIPv4TableIsTheIPv4OnlyClustersTable() throws {
        let ipv4Only = try #require(try Self.table(Self.ipv4Only, family: .ipv4))
        #expect(try Self.table(family: .ipv4) == ipv4Only)
        #expect(try Self.table(Self.ipv4Only, family: .ipv6) == nil)
        // The record (which stands for the ip table) is the IPv4-only cluster's too.
        let topologies = try (NFTablesProxyRendererTests.topology(Self.dualStack), NFTablesProxyRendererTests.topology(Self.ipv4Only))
        #expect(NFTablesProxyRenderer(topology: topologies.0).record() == NFTablesProxyRenderer(topology: topologies.1).record())
    }

    @Test func theIPv6TableHasTheSameLayoutInFamilyIP6() throws {
        let table = try #require(try Self.table(family: .ipv6))
        let ip = try #require(try Self.table(family: .ipv4))
        #expect(table.id == NFTable.ID(namespace: .named("lab.node-0"), family: .ip6, name: "podnet-lab"))
        #expect(Set(table.sets.keys) == Set(ip.sets.keys))
        // Every chain but the endpoints' (named by address) and the IPv4-only service's.
        #expect(Set(ip.chains.keys.filter { !$0.contains("__") && !$0.contains("-v4/") }) == Set(table.chains.keys.filter { !$0.contains("__") }))
        #expect(try Self.texts(table, Names.services) == [
            "ip6 daddr . meta l4proto . th dport vmap @service-ips",
            "fib daddr type local ip6 daddr != ::1 meta l4proto . th dport vmap @service-nodeports",
        ])
        #expect(table.sets[Names.serviceIPs]?.keyType == [.ipv6Address, .inetProto, .inetService])
        #expect(table.sets[Names.clusterIPs]?.elements.map { NFTSyntax.elementText($0) } == ["fd00:96::2", "fd00:96::3"])
        #expect(try Self.texts(table, Names.podEgress) == ["ip6 saddr fd00:200::/48 ip6 daddr != fd00:200::/48 masquerade fully-random"])
        #expect(try Self.texts(table, Names.reject) == ["reject with tcp reset", "reject"])
        #expect(table.chains[Names.reject]?.rules.last?.expressions.last == .reject(NFTReject(kind: .icmpUnreachable, code: 4)))
    }

    @Test func theServiceBalancesOverTheEndpointsIPv6Addresses() throws {
        let table = try #require(try Self.table(family: .ipv6))
        let port = ServicePort(port: 8080)
        let service = Names.serviceChain(service: "web", port: port)
        let a0 = Names.endpointChain(service: "web", port: port, endpointIP: IPAddress("fd00:200::2")!)
        let b = Names.endpointChain(service: "web", port: port, endpointIP: IPAddress("fd00:200:0:1::2")!)
        // Colons are not for names: nft would take them for a map's separator.
        #expect(a0.hasSuffix("-web/tcp/8080__fd00.200..2/8080") && !a0.contains(":"))
        #expect(try Self.texts(table, service) == [
            "ip6 saddr != fd00:200::/48 jump mark-for-masquerade",
            "numgen random mod 2 vmap { 0 : goto \(a0), 1 : goto \(b) }",
        ])
        #expect(try Self.texts(table, a0) == ["ip6 saddr fd00:200::2 jump mark-for-masquerade", "meta l4proto tcp dnat to [fd00:200::2]:8080"])
        let elements = try #require(table.sets[Names.serviceIPs]).elements.map { NFTSyntax.elementText($0) }
        #expect(elements == ["fd00:96::2 . tcp . 8080 : goto \(service)"])
        #expect(try #require(table.sets[Names.noEndpointServices]).elements.map { NFTSyntax.elementText($0) }
            == ["fd00:96::3 . udp . 53 : goto reject-chain"])
    }

    @Test func anIPv4OnlyServiceAndPodsWithoutIPv6HaveNoPartInIt() throws {
        let table = try #require(try Self.table(family: .ipv6))
        #expect(!table.chains.keys.contains { $0.contains("-v4/") })
        // A pod without an IPv6 address is no IPv6 endpoint (here: every pod of an
        // IPv4-only service's selection is dual-stack, so drop b's IPv6 address).
        let topology = try NFTablesProxyRendererTests.topology(Self.dualStack)
        var oneFamily = topology
        oneFamily.pods[1].ipv6 = nil
        let renderer = NFTablesProxyRenderer(topology: oneFamily)
        let ipv6 = try #require(renderer.table(forNode: oneFamily.nodes[0], in: .current, family: .ipv6))
        let service = Names.serviceChain(service: "web", port: ServicePort(port: 8080))
        #expect(try Self.texts(ipv6, service).last?.hasPrefix("numgen random mod 1 vmap") == true)
    }

    /// Sticky allocation reads the IPv6 ClusterIPs back from the `ip6` table's
    /// `service-ips` map, the IPv4 ones from the `ip` table's, without mixing them.
    @Test func liveClusterIPsAreReadFromEachFamilysTable() throws {
        var state = KernelState()
        for family in AddressFamily.allCases { state.insert(try #require(try Self.table(family: family))) }
        let assignments = LiveAssignmentsReader.assignments(in: state, cluster: "lab")
        #expect(assignments.clusterIPs == ["web": IPv4Address("10.96.0.2")!, "v4": IPv4Address("10.96.0.5")!])
        #expect(assignments.clusterIPsV6 == ["web": IPv6Address("fd00:96::2")!])
    }
}
