import Foundation
import Glibc
@testable import PodnetKernel
import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// IPTablesExample made dual stack, with what each IPv6 form of the layout needs to
/// be printed back: a service of both families with endpoints on two nodes, one of
/// twelve endpoints (the cascade), one without endpoints (the reject), a NodePort
/// with `externalTrafficPolicy: Local` and ClientIP affinity (KUBE-NODEPORTS, the
/// loopback exception, `recent`'s mask), an IPv4-only service (absent from
/// ip6tables), and pod egress masquerade.
enum IP6TablesExample {
    static var yaml: String {
        IPTablesExample.yaml
            .replacingOccurrences(of: "clusterCIDR: 10.200.0.0/16", with: "clusterCIDR: [10.200.0.0/16, fd00:200::/48]")
            .replacingOccurrences(of: "serviceCIDR: 10.96.0.0/12", with: "serviceCIDR: [10.96.0.0/12, fd00:96::/112]")
            .replacingOccurrences(of: "network: { backend: host-gw }", with: "network: { backend: vxlan, masquerade: true }")
            + """

              - { name: v4only, ipFamilies: [IPv4], selector: { app: web }, ports: [{ port: 81 }] }
              - name: np
                type: NodePort
                externalTrafficPolicy: Local
                sessionAffinity: ClientIP
                selector: { app: web }
                ports: [{ port: 8443, nodePort: 30443 }]
            """
    }

    static func topology() throws -> Topology { try IPTablesExample.topology(yaml) }

    static func ruleset(family: AddressFamily) throws -> IPTablesRuleset {
        let topology = try topology()
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0], family: family)
    }
}

extension KernelTests {
    @Suite struct IP6TablesDriverTests {
        /// The IPv6 ruleset, written by ip6tables-restore into an empty namespace, reads
        /// back from ip6tables-save byte for byte as rendered, with either backend; a
        /// second diff is empty; the IPv4 ruleset beside it is untouched by it.
        @Test(arguments: [IPTablesVariant.nft, .legacy])
        func appliedIPv6RulesReadBackAsRendered(variant: IPTablesVariant) throws {
            try withScratchNamespaces(1, prefix: "pni6-") { names in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let v6 = try IP6TablesExample.ruleset(family: .ipv6)
                #expect(v6.chainCount > 40 && v6.nat.chains["KUBE-NODEPORTS"] != nil && v6.nat.chains["PODNET-EGRESS"] != nil)
                let v4 = try IP6TablesExample.ruleset(family: .ipv4)
                try IPTablesDriver.apply(IPTablesDiff.changes(live: IPTablesRuleset(), desired: v4), in: thread, variant: variant)
                try IPTablesDriver.apply(IPTablesDiff.changes(live: IPTablesRuleset(), desired: v6), in: thread, family: .ipv6, variant: variant)
                let saved = try IPTablesDriver.save(in: thread, family: .ipv6, variant: variant)
                let dump = IPTablesDump(iptablesSave: saved)
                let expected = IPTablesExample.saveDump(v6)
                for table in ["filter", "nat"] {
                    for chain in expected.tables[table]!.orderedChains {
                        #expect(dump[table]?[chain.name]?.rules == chain.rules, "\(table) \(chain.name)")
                    }
                }
                #expect(dump.tables == expected.tables)
                let live = try IPTablesDriver.read(in: thread, cluster: "lab", family: .ipv6, variant: variant)
                #expect(live == v6)
                #expect(IPTablesDiff.changes(live: live, desired: v6).isEmpty)
                #expect(try IPTablesDriver.read(in: thread, cluster: "lab", variant: variant) == v4)
            }
        }
    }
}
