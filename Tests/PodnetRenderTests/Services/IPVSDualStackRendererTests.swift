import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// proxy.mode ipvs in a dual-stack cluster: per family, the ClusterIP on kube-ipvs0,
/// a virtual server over the endpoints' addresses of that family, and podnet's own
/// nftables table of that family (ip, ip6) with the same layout.
@Suite struct IPVSDualStackRendererTests {
    static let text = """
    name: lab
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    proxy: { mode: ipvs }
    network: { backend: vxlan, vxlan: { vni: 1, discovery: static } }
    nodes: [{ name: node-0 }, { name: node-1 }]
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: b, node: node-1, labels: { app: web } }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 8080 }] }
      - { name: nobody, selector: { app: none }, ports: [{ port: 53, protocol: UDP }] }
      - { name: v4, ipFamilies: [IPv4], selector: { app: web }, ports: [{ port: 81 }] }
      - { name: np, type: NodePort, selector: { app: web }, ports: [{ port: 82, nodePort: 30082 }] }
    """
    static let namespace = NamespaceRef.named("lab.node-0")

    static func objects(_ text: String = text) throws -> IPVSProxyObjects {
        let topology = try IPVSProxyRendererTests.topology(text)
        return IPVSProxyRenderer(topology: topology).objects(forNode: try #require(topology.node(named: "node-0")), in: namespace)
    }

    @Test func eachFamilyHasItsClusterIPsAndVirtualServers() throws {
        let objects = try Self.objects()
        #expect(objects.addresses.map(\.address.description) == [
            "10.96.0.1/32", "10.96.0.2/32", "10.96.0.3/32", "10.96.0.4/32", "fd00:96::1/128", "fd00:96::2/128", "fd00:96::3/128",
        ])
        #expect(objects.services.map(\.id.description) == [
            "TCP 10.96.0.1:8080", "UDP 10.96.0.2:53", "TCP 10.96.0.3:81", "TCP 10.96.0.4:82", "TCP 192.168.64.4:30082",
            "TCP [fd00:64::4]:30082", "TCP [fd00:96::1]:8080", "UDP [fd00:96::2]:53", "TCP [fd00:96::3]:82",
        ])
        let web6 = try #require(objects.services.first { $0.id.address == IPAddress("fd00:96::1") })
        #expect(web6.destinations.map(\.id.description) == ["[fd00:200::2]:8080", "[fd00:200:0:1::2]:8080"])
        #expect(web6.destinations.allSatisfy { $0.forwarding == .masquerade && $0.weight == 1 })
        // The service of IPv4 only has no IPv6 virtual server, and no IPv6 hairpin entry.
        #expect(objects.hairpins.map(\.nftablesElement) == [
            "10.200.0.2 . tcp . 81 . 10.200.0.2", "10.200.0.2 . tcp . 82 . 10.200.0.2", "10.200.0.2 . tcp . 8080 . 10.200.0.2",
            "fd00:200::2 . tcp . 82 . fd00:200::2", "fd00:200::2 . tcp . 8080 . fd00:200::2",
        ])
        #expect(objects.rejections.map(\.nftablesElement) == ["10.96.0.2 . udp . 53", "fd00:96::2 . udp . 53"])
        #expect(objects.masqueradedExternal.map(\.nftablesElement) == ["192.168.64.4 . tcp . 30082", "fd00:64::4 . tcp . 30082"])
        #expect(objects.podEgress == [IPPrefix("10.200.0.0/16")!, IPPrefix("fd00:200::/48")!])
    }

    /// The ip6 table is the ip one with IPv6's keys, loads, egress prefix and ICMPv6.
    @Test func theIP6TableHasTheIPTablesLayout() throws {
        let objects = try Self.objects()
        let v4 = try #require(objects.nftTable(cluster: "lab", in: Self.namespace, family: .ipv4))
        let v6 = try #require(objects.nftTable(cluster: "lab", in: Self.namespace, family: .ipv6))
        #expect(v4.id == NFTable.ID(namespace: Self.namespace, family: .ip, name: "podnet-lab"))
        #expect(v6.id == NFTable.ID(namespace: Self.namespace, family: .ip6, name: "podnet-lab"))
        #expect(v6.chainNames == v4.chainNames)
        #expect(v6.sets.keys.sorted() == v4.sets.keys.sorted())
        for name in v4.chainNames { #expect(v6.chains[name]?.rules.count == v4.chains[name]?.rules.count, "\(name)") }
        #expect(v6.sets["hairpin"]?.keyType == [.ipv6Address, .inetProto, .inetService, .ipv6Address])
        #expect(v6.sets["no-endpoint-services"]?.keyType == [.ipv6Address, .inetProto, .inetService])
        #expect(v6.sets["no-endpoint-services"]?.elements == [
            NFTSetElement(key: [.ipv6(IPv6Address("fd00:96::2")!), .inetProto(17), .inetService(53)]),
        ])
        #expect(v6.chains["filter-input"]?.rules.map { $0.expressions.last } == [.reject(.tcpReset), .reject(.portUnreachableIPv6), .verdict(.drop)])
        #expect(v4.chains["filter-input"]?.rules.map { $0.expressions.last } == [.reject(.tcpReset), .reject(.portUnreachable), .verdict(.drop)])
        // Each table holds its own family's elements only.
        #expect(v4.sets.values.allSatisfy { $0.elements.allSatisfy { !$0.key.contains { $0.type == .ipv6Address } } })
        #expect(v6.sets.values.allSatisfy { $0.elements.allSatisfy { !$0.key.contains { $0.type == .ipv4Address } } })
        let rules = v6.chains.values.flatMap(\.rules).compactMap { NFTSyntax.text(of: $0, family: .ip6) }
        #expect(rules.contains { $0.hasPrefix("ip6 daddr . meta l4proto . th dport . ip6 saddr @hairpin masquerade") }, "\(rules)")
        #expect(rules.contains { $0.hasPrefix("ip6 saddr fd00:200::/48 ip6 daddr != fd00:200::/48 masquerade") }, "\(rules)")
    }

    @Test func theIP6TableAsNftText() throws {
        let text = try Self.objects().nftablesRuleset(table: "podnet-lab", family: .ipv6)
        #expect(text.hasPrefix("table ip6 podnet-lab {\n\tset hairpin {\n\t\ttype ipv6_addr . inet_proto . inet_service . ipv6_addr\n"
                               + "\t\telements = { fd00:200::2 . tcp . 82 . fd00:200::2, fd00:200::2 . tcp . 8080 . fd00:200::2 }\n"), "\(text)")
        for line in ["\t\tip6 daddr . meta l4proto . th dport @external-masquerade meta mark set meta mark | 0x00004000\n",
                     "\t\tip6 daddr . meta l4proto . th dport . ip6 saddr @hairpin masquerade\n",
                     "\t\tip6 saddr fd00:200::/48 ip6 daddr != fd00:200::/48 masquerade\n",
                     "\t\tmeta l4proto tcp ip6 daddr . meta l4proto . th dport @no-endpoint-services reject with tcp reset\n",
                     "\t\telements = { fd00:96::2 . udp . 53 }\n"] {
            #expect(text.contains(line), "\(line)")
        }
        #expect(!text.contains("10.") && !text.contains("ipv4_addr") && !text.contains("ip daddr"))
    }

    @Test func anIPv4OnlyClusterHasNoIP6TableNorIPv6Objects() throws {
        let topology = try IPVSProxyRendererTests.topology(IPVSProxyRendererTests.example)
        let state = LabRenderer(topology: topology).render()
        #expect(state.nftTables.keys.map(\.family).allSatisfy { $0 == .ip })
        #expect(state.ipvsServices.keys.allSatisfy { $0.family == .ipv4 })
        #expect(state.addresses.filter { $0.link.name == "kube-ipvs0" }.allSatisfy { $0.family == .ipv4 })
        let dual = LabRenderer(topology: try IPVSProxyRendererTests.topology(Self.text)).render()
        #expect(Set(dual.nftTables.keys.filter { $0.namespace == Self.namespace }.map(\.family)) == [.ip, .ip6])
    }

    @Test func iptablesTextOfIPv6Entries() {
        #expect(IPVSRejection(address: IPAddress("fd00:96::2")!, protocol: .udp, port: 53).iptablesRule
                == "-A INPUT -d fd00:96::2/128 -p udp -m udp --dport 53 -j REJECT --reject-with icmp6-port-unreachable")
        #expect(IPVSHairpin(endpoint: IPAddress("fd00:200::2")!, protocol: .tcp, port: 8080).iptablesRule
                == "-A POSTROUTING -s fd00:200::2/128 -d fd00:200::2/128 -p tcp -m tcp --dport 8080 -j MASQUERADE")
    }
}
