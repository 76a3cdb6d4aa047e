import Foundation
@testable import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// The `ip6 podnet-CLUSTER` table of a dual-stack cluster in proxy mode nftables,
/// in the kernel: written over netlink and read back equal, loaded from the plan's
/// `nft -f` text into the same table, and listed by nft as a student expects.
extension KernelTests {
    @Suite struct NFTablesIPv6Tests {
        static let yaml = """
        name: lab
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        network: { backend: host-gw, masquerade: true }
        underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
        nodes:
          - { name: node-0, address: [192.168.64.4, fd00:64::4], podCIDR: [10.200.0.0/24, fd00:200::/64], bridge: br0 }
          - { name: node-1, address: [192.168.64.5, fd00:64::5], podCIDR: [10.200.1.0/24, "fd00:200:0:1::/64"], bridge: br1 }
        pods:
          - { name: a0, node: node-0, ip: [10.200.0.2, fd00:200::2], labels: { app: web } }
          - { name: b,  node: node-1, ip: [10.200.1.2, "fd00:200:0:1::2"], labels: { app: web } }
        services:
          - { name: web, clusterIP: [10.96.0.2, "fd00:96::2"], selector: { app: web }, ports: [{ port: 8080 }] }
          - name: sticky
            clusterIP: [10.96.0.4, "fd00:96::4"]
            type: NodePort
            externalTrafficPolicy: Local
            sessionAffinity: ClientIP
            selector: { app: web }
            ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
          - { name: empty, clusterIP: [10.96.0.3, "fd00:96::3"], endpoints: [], ports: [{ port: 53, protocol: UDP }] }
          - { name: v4only, ipFamilies: [IPv4], clusterIP: 10.96.0.5, selector: { app: web }, ports: [{ port: 81 }] }
        """

        static func table(in namespace: NetnsName) throws -> NFTable {
            let topology = try NFTablesExample.topology(yaml)
            return try #require(NFTablesProxyRenderer(topology: topology)
                .table(forNode: topology.nodes[0], in: .named(namespace.rawValue), family: .ipv6))
        }

        @Test func theIPv6TableIsWrittenAndReadBackEqual() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let desired = try Self.table(in: names[0])
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired))
                let live = try #require(try driver.read(desired.id))
                #expect(live == desired, "\(NFTablesDriverTests.differences(live, desired))")
                let listing = try host("ip", "netns", "exec", names[0].rawValue, "nft", "list", "table", "ip6", "podnet-lab")
                    .standardOutputText
                #expect(listing.contains("type ipv6_addr . inet_proto . inet_service : verdict"), "\(listing)")
                #expect(listing.contains("fd00:96::2 . tcp . 8080 : goto service-"), "\(listing)")
                #expect(listing.contains("dnat to [fd00:200::2]:8080"), "\(listing)")
                #expect(listing.contains("update @affinity-"), "\(listing)")
                #expect(listing.contains("ip6 saddr != fd00:200::/48"), "\(listing)")
                #expect(!listing.contains("10.96.0.5") && !listing.contains("v4only"), "\(listing)")
            }
        }

        /// The plan's nft statements for the IPv6 table, loaded by `nft -f`, make the
        /// table podnet writes over netlink (colons of IPv6 endpoint names included).
        @Test func nftLoadingThePlanAsTextMakesTheSameIPv6Table() throws {
            try withScratchNamespaces(1) { names in
                let desired = try Self.table(in: names[0])
                let script = NftScript.plan(desired)
                #expect(!script.contains("#"), "a statement nft cannot express: \(script)")
                try NftScript.expectPlanMakesTheTable(desired, in: names[0])
            }
        }
    }
}
