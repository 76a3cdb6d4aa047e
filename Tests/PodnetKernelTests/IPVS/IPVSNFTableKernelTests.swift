import Foundation
import PodnetAddress
@testable import PodnetKernel
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// ipvs mode's own nftables tables in a dual-stack cluster, on this kernel (which
/// lacks IPVS, not nf_tables): the `ip6 podnet-CLUSTER` table as the renderer makes
/// it, written over netlink and by `nft -f` from the plan's text, is read back the same.
extension KernelTests {
    @Suite struct IPVSNFTableKernelTests {
        static func table(in namespace: NetnsName, family: AddressFamily) throws -> NFTable {
            let topology = try IPVSDualStackExample.topology()
            let node = try #require(topology.node(named: "node-0"))
            let objects = IPVSProxyRenderer(topology: topology).objects(forNode: node, in: .named(namespace.rawValue))
            return try #require(objects.nftTable(cluster: "lab", in: .named(namespace.rawValue), family: family))
        }

        @Test(arguments: [AddressFamily.ipv4, .ipv6])
        func eachFamilysTableIsWrittenAndReadBackEqual(family: AddressFamily) throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let desired = try Self.table(in: names[0], family: family)
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired))
                let live = try #require(try driver.read(desired.id))
                #expect(live == desired, "\(NFTablesDriverTests.differences(live, desired))")
                #expect(NFTablesDiff.changes(live: live, desired: desired).isEmpty)
            }
        }

        /// The plan's nft statements for the ip6 table, loaded by `nft -f`, make exactly
        /// the table podnet writes: the registers of the IPv6 hairpin key (address,
        /// protocol, port, source in ten words) are nft's own.
        @Test func nftLoadingTheIP6PlanAsTextMakesTheSameTable() throws {
            try withScratchNamespaces(1) { names in
                let desired = try Self.table(in: names[0], family: .ipv6)
                #expect(desired.id.family == .ip6)
                #expect(NftScript.plan(desired).contains("add table ip6 podnet-lab"))
                try NftScript.expectPlanMakesTheTable(desired, in: names[0])
            }
        }

        /// `IPVSNFTablesRuleset`'s text of the ip6 table (what docs and `show` print),
        /// loaded by `nft -f`, has the rules and elements of podnet's table.
        @Test func theIP6RulesetTextMakesTheSameRules() throws {
            try withScratchNamespaces(1) { names in
                let topology = try IPVSDualStackExample.topology()
                let node = try #require(topology.node(named: "node-0"))
                let objects = IPVSProxyRenderer(topology: topology).objects(forNode: node, in: .named(names[0].rawValue))
                let desired = try #require(objects.nftTable(cluster: "lab", in: .named(names[0].rawValue), family: .ipv6))
                let loaded = try NftScript.load(objects.nftablesRuleset(table: "podnet-lab", family: .ipv6), in: names[0])
                #expect(loaded.status == .exited(0), "\(loaded.standardErrorText)")
                let live = try #require(try NFTablesDriver(namespace: NetnsDirectory().open(names[0])).read(desired.id))
                // The text has no comments and no fully-random masquerade: the rules'
                // matches and the sets' keys and elements are what must agree.
                for name in desired.chainNames {
                    let strip: (NFTRule) -> [NFTExpression] = { $0.expressions.filter { if case .masquerade = $0 { false } else { true } } }
                    #expect(live.chains[name]?.rules.map(strip) == desired.chains[name]?.rules.map(strip), "\(name)")
                }
                for (name, set) in desired.sets {
                    #expect(live.sets[name]?.keyType == set.keyType, "\(name)")
                    #expect(live.sets[name]?.elements == set.elements, "\(name)")
                }
            }
        }
    }
}

/// A dual-stack cluster in ipvs mode with a service over a0 and b and one without endpoints.
enum IPVSDualStackExample {
    static let yaml = """
    name: lab
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    proxy: { mode: ipvs }
    network: { backend: host-gw }
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    nodes: [{ name: node-0 }, { name: node-1 }]
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: b, node: node-1, labels: { app: web } }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 8080 }] }
      - { name: nobody, selector: { app: none }, ports: [{ port: 53, protocol: UDP }, { port: 80 }] }
    """

    static func topology() throws -> Topology {
        let result = TopologyLoader.load(text: yaml, file: "dual-stack-ipvs.yaml")
        return try #require(result.topology, "\(result.diagnostics.map(\.message))")
    }
}
