import Foundation
import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// The NetworkPolicy table of a dual-stack cluster: IPv6's dispatch, pod chains,
/// sets and rules beside IPv4's in the one inet table, neighbour discovery let by,
/// ipBlocks in their own family; and an IPv4-only cluster's table as it was.
@Suite struct DualStackPolicyRendererTests {
    typealias Names = NetworkPolicyNames

    /// NetworkPolicyRendererTests' cluster, with the pods' IPv6 addresses allocated
    /// (db fd00:200::2, web fd00:200:0:1::2, tool fd00:200:0:1::3).
    static let dualStack = NetworkPolicyRendererTests.base
        .replacingOccurrences(of: "clusterCIDR: 10.200.0.0/16", with: "clusterCIDR: [10.200.0.0/16, fd00:200::/48]")
        .replacingOccurrences(of: "podCIDR: 10.200.0.0/24", with: "podCIDR: [10.200.0.0/24, fd00:200::/64]")
        .replacingOccurrences(of: "podCIDR: 10.200.1.0/24", with: "podCIDR: [10.200.1.0/24, fd00:200:0:1::/64]")
        .replacingOccurrences(of: "ip: 10.200.0.2,", with: "ip: [10.200.0.2, \"fd00:200::2\"],")
        .replacingOccurrences(of: "ip: 10.200.1.2,", with: "ip: [10.200.1.2, \"fd00:200:0:1::2\"],")
        .replacingOccurrences(of: "ip: 10.200.1.3,", with: "ip: [10.200.1.3, \"fd00:200:0:1::3\"],")
        + "\nunderlay: { cidr: [192.168.64.0/24, fd00:64::/64] }\n"

    static func topology(_ base: String, _ policies: String) throws -> Topology {
        let result = TopologyLoader.load(text: base + "\nnetworkPolicies:\n" + policies, file: "t.yaml")
        return try #require(result.topology, "\(result.diagnostics.map(\.message))")
    }

    static func table(_ policies: String, base: String = dualStack, node: String = "node-0") throws -> NFTable {
        let topology = try topology(base, policies)
        let node = try #require(topology.node(named: node))
        return try #require(NetworkPolicyRenderer(topology: topology).table(forNode: node, in: .named("lab.\(node.name)")))
    }

    static func texts(_ table: NFTable, _ chain: String) throws -> [String] {
        try #require(table.chains[chain], "no chain \(chain)").rules.map { NFTSyntax.text(of: $0, family: .inet) ?? "(not expressible)" }
    }

    static let db = IPv6Address("fd00:200::2")!
    static let web = IPv6Address("fd00:200:0:1::2")!

    @Test func theDispatchLooksUpEachFamilysSetAfterNeighbourDiscovery() throws {
        let table = try Self.table(NetworkPolicyRendererTests.dbClients)
        #expect(try Self.texts(table, Names.podPolicies) == [
            "meta nfproto ipv6 meta l4proto 58 icmpv6 type nd-router-solicit accept",
            "meta nfproto ipv6 meta l4proto 58 icmpv6 type nd-router-advert accept",
            "meta nfproto ipv6 meta l4proto 58 icmpv6 type nd-neighbor-solicit accept",
            "meta nfproto ipv6 meta l4proto 58 icmpv6 type nd-neighbor-advert accept",
            "meta nfproto ipv4 ip saddr vmap @egress-pods",
            "meta nfproto ipv6 ip6 saddr vmap @egress-pods6",
            "goto ingress",
        ])
        #expect(try Self.texts(table, Names.ingress) == [
            "meta nfproto ipv4 ip daddr vmap @ingress-pods", "meta nfproto ipv6 ip6 daddr vmap @ingress-pods6", "accept",
        ])
        // The hooks are IPv4's: established and related first (ICMPv6 errors about
        // an allowed connection among them), in both families.
        #expect(try Self.texts(table, Names.forward) == ["ct state established,related accept", "goto pod-policies"])
        #expect(table.sets["ingress-pods6"]?.keyType == [.ipv6Address])
        #expect(table.sets["ingress-pods6"]?.elements == [NFTSetElement(key: [.ipv6(Self.db)], data: .verdict(.jump("to-db")))])
        #expect(table.sets["egress-pods6"]?.elements == [])
    }

    @Test func aPodChainLetsThePodItselfByInEachFamily() throws {
        let table = try Self.table(NetworkPolicyRendererTests.dbClients)
        #expect(try Self.texts(table, "to-db") == [
            "meta nfproto ipv4 ip saddr 10.200.0.2 accept comment \"the pod itself\"",
            "meta nfproto ipv6 ip6 saddr fd00:200::2 accept comment \"the pod itself\"",
            "jump ingress-prod/db-clients",
            "drop",
        ])
    }

    @Test func selectionsAndNamedPortsHaveASetPerFamily() throws {
        let table = try Self.table(NetworkPolicyRendererTests.dbClients)
        let peers = try #require(table.sets.values.first { $0.comment == "prod: app=web" && $0.keyType == [.ipv4Address] })
        let peers6 = try #require(table.sets.values.first { $0.comment == "prod: app=web" && $0.keyType == [.ipv6Address] })
        #expect(peers6.name == peers.name.replacingOccurrences(of: "pods-", with: "pods6-"))
        #expect(peers6.elements == [NFTSetElement(key: [.ipv6(Self.web)])])
        #expect(table.sets["port6-sql"]?.keyType == [.ipv6Address, .inetProto, .inetService])
        #expect(table.sets["port6-sql"]?.elements == [NFTSetElement(key: [.ipv6(Self.db), .tcp, .inetService(5432)])])
        #expect(try Self.texts(table, "ingress-prod/db-clients") == [
            "meta nfproto ipv4 ip saddr @\(peers.name) meta l4proto tcp ip daddr . meta l4proto . th dport @port-sql accept comment \"prod/db-clients ingress[0]\"",
            "meta nfproto ipv6 ip6 saddr @\(peers6.name) meta l4proto tcp ip6 daddr . meta l4proto . th dport @port6-sql accept comment \"prod/db-clients ingress[0]\"",
        ])
    }

    @Test func anIPBlockMatchesItsOwnFamilyAndEveryPeerBoth() throws {
        let table = try Self.table("""
          - name: out
            namespace: prod
            podSelector: {}
            policyTypes: [Egress]
            egress:
              - to: [{ ipBlock: { cidr: "2001:db8::/32", except: ["2001:db8:5::/48", "2001:db8:6::/49"] } }, { ipBlock: { cidr: 192.168.0.0/16 } }]
                ports: [{ protocol: UDP, port: 53 }]
              - ports: [{ port: 443 }]
        """)
        #expect(try Self.texts(table, "egress-prod/out") == [
            "meta nfproto ipv6 ip6 daddr 2001:db8::/32 ip6 daddr != 2001:db8:5::/48 ip6 daddr != 2001:db8:6::/49 meta l4proto udp th dport 53 goto ingress comment \"prod/out egress[0]\"",
            "meta nfproto ipv4 ip daddr 192.168.0.0/16 meta l4proto udp th dport 53 goto ingress comment \"prod/out egress[0]\"",
            "meta nfproto ipv4 meta l4proto tcp th dport 443 goto ingress comment \"prod/out egress[1]\"",
            "meta nfproto ipv6 meta l4proto tcp th dport 443 goto ingress comment \"prod/out egress[1]\"",
        ])
        #expect(try Self.texts(table, "from-db") == [
            "meta nfproto ipv4 ip daddr 10.200.0.2 goto ingress comment \"the pod itself\"",
            "meta nfproto ipv6 ip6 daddr fd00:200::2 goto ingress comment \"the pod itself\"",
            "jump egress-prod/out", "drop",
        ])
    }

    /// In an IPv4-only cluster an IPv6 ipBlock matches nothing: its rule has no nft
    /// rule, as IPv6 traffic there has no pod to come from.
    @Test func anIPv6BlockInAnIPv4OnlyClusterHasNoRule() throws {
        let table = try Self.table("""
          - name: in
            namespace: prod
            podSelector: {}
            ingress: [{ from: [{ ipBlock: { cidr: "2001:db8::/32" } }] }]
        """, base: NetworkPolicyRendererTests.base)
        #expect(try Self.texts(table, "ingress-prod/in") == [])
    }

    /// The dual-stack table less its IPv6 rules and sets is the IPv4-only cluster's
    /// table, chain by chain and set by set: adding IPv6 adds, and changes nothing.
    @Test func ipv4sPartIsTheIPv4OnlyTable() throws {
        let policies = NetworkPolicyRendererTests.dbClients + """

          - name: out
            namespace: prod
            podSelector: {}
            policyTypes: [Egress]
            egress:
              - to: [{ ipBlock: { cidr: 192.168.0.0/16 } }, { namespaceSelector: {} }]
        """
        for node in ["node-0", "node-1"] {
            let ipv4 = try Self.table(policies, base: NetworkPolicyRendererTests.base, node: node)
            var dual = try Self.table(policies, node: node)
            #expect(Set(dual.sets.keys).subtracting(ipv4.sets.keys).allSatisfy { $0.hasPrefix("pods6-") || $0.hasPrefix("port6-") || $0.hasSuffix("pods6") })
            for name in dual.sets.keys where ipv4.sets[name] == nil { dual.sets[name] = nil }
            for name in dual.chains.keys {
                dual.chains[name]!.rules.removeAll { rule in
                    NFTSyntax.text(of: rule, family: .inet)?.hasPrefix("meta nfproto ipv6") == true
                }
            }
            #expect(dual == ipv4, "\(node)")
        }
    }

    @Test func everyDualStackRuleIsExpressibleInNftsLanguage() throws {
        let topology = try Self.topology(Self.dualStack, NetworkPolicyRendererTests.dbClients)
        let state = LabRenderer(topology: topology).render()
        for table in state.nftTables.values where table.id.family == .inet {
            for chain in table.chains.values {
                for rule in chain.rules { #expect(NFTSyntax.text(of: rule, family: .inet) != nil, "\(chain.name): \(rule)") }
            }
        }
        #expect(state.sysctls[Sysctl.ID(namespace: .named("lab.node-0"), key: "net.bridge.bridge-nf-call-ip6tables")]?.value == "1")
    }
}
