import Foundation
import PodnetAddress
@testable import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// A dual-stack cluster's NetworkPolicy table, for node-0: every kind of rule in
/// both families (selections, named ports, an IPv6 ipBlock with excepts, an IPv4
/// one, egress, deny-all) and neighbour discovery's rules. No endPort range: its
/// text (`th dport >= A th dport <= B`) makes nft load the port twice where podnet
/// loads it once, in IPv4 as before dual stack (equal meaning, unequal expressions).
enum DualStackPolicyExample {
    static let yaml = """
    name: lab
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    namespaces:
      - { name: prod }
    pods:
      - { name: db, node: node-0, namespace: prod, labels: { app: db }, ports: [{ name: sql, port: 5432 }] }
      - { name: web, node: node-0, namespace: prod, labels: { app: web } }
      - { name: tool, node: node-1, namespace: prod, labels: { app: tool } }
    networkPolicies:
      - { name: deny, namespace: prod, podSelector: {}, policyTypes: [Ingress] }
      - name: db-clients
        namespace: prod
        podSelector: { matchLabels: { app: db } }
        ingress:
          - from: [{ podSelector: { matchLabels: { app: web } } }]
            ports: [{ port: sql }]
          - from: [{ ipBlock: { cidr: "fd00:200:0:1::/64", except: ["fd00:200:0:1::8/125", "fd00:200:0:1:8000::/65"] } }]
          - from: [{ ipBlock: { cidr: 10.200.1.0/24 } }]
            ports: [{ port: 8080 }]
      - name: web-out
        namespace: prod
        podSelector: { matchLabels: { app: web } }
        policyTypes: [Egress]
        egress:
          - to: [{ podSelector: { matchLabels: { app: db } } }]
          - to: [{ ipBlock: { cidr: "2001:db8::/32" } }]
            ports: [{ protocol: UDP, port: 53 }]
    """

    static func table(in namespace: NetnsName) throws -> NFTable {
        let result = TopologyLoader.load(text: yaml, file: "example.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return try #require(NetworkPolicyRenderer(topology: topology).table(forNode: topology.nodes[0], in: .named(namespace.rawValue)))
    }
}

extension KernelTests {
    @Suite struct NFTablesPolicyDualStackTests {
        @Test func theDualStackPolicyTableIsWrittenAndReadBackEqual() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let desired = try DualStackPolicyExample.table(in: names[0])
                #expect(desired.sets.keys.contains("ingress-pods6"))
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired))
                let live = try #require(try driver.read(desired.id))
                #expect(live == desired, "\(NFTablesDriverTests.differences(live, desired))")
                #expect(NFTablesDiff.changes(live: live, desired: desired).isEmpty)
            }
        }

        /// The plan's statements as `nft -f` reads them make the same table: the IPv6
        /// rules' text (ip6 saddr, ipv6_addr sets, icmpv6 type) is nft's own.
        @Test func nftLoadingTheDualStackPolicyPlanMakesTheSameTable() throws {
            try withScratchNamespaces(1) { names in
                let desired = try DualStackPolicyExample.table(in: names[0])
                try NftScript.expectPlanMakesTheTable(desired, in: names[0])
                let listing = try host("ip", "netns", "exec", names[0].rawValue, "nft", "list", "table", "inet", "podnet-lab").standardOutputText
                #expect(listing.contains("icmpv6 type nd-neighbor-solicit accept"))
                #expect(listing.contains("ip6 saddr vmap @egress-pods6"))
                #expect(listing.contains("ip6 saddr fd00:200:0:1::/64 ip6 saddr != fd00:200:0:1::8/125"))
            }
        }
    }
}
