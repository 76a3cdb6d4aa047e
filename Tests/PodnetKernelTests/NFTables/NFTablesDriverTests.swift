import Foundation
import PodnetAddress
@testable import PodnetKernel
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// The services example of TOPOLOGY.md, rendered for node-0.
enum NFTablesExample {
    static let yaml = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    network: { backend: host-gw }
    nodes:
      - { name: node-0, address: 192.168.64.4, podCIDR: 10.200.0.0/24, bridge: br0 }
      - { name: node-1, address: 192.168.64.5, podCIDR: 10.200.1.0/24, bridge: br1 }
      - { name: node-2, address: 192.168.64.6, podCIDR: 10.200.2.0/24, bridge: br2 }
    pods:
      - { name: a0, node: node-0, ip: 10.200.0.2, labels: { app: web } }
      - { name: a1, node: node-0, ip: 10.200.0.3 }
      - { name: b,  node: node-1, ip: 10.200.1.2, labels: { app: web } }
      - { name: c,  node: node-2, ip: 10.200.2.2 }
    services:
      - name: kube-svc-1
        clusterIP: 10.96.0.2
        selector: { app: web }
        ports:
          - { port: 8080, targetPort: 8080, protocol: TCP }
      - name: empty
        clusterIP: 10.96.0.3
        endpoints: []
        ports:
          - { port: 53, protocol: UDP }
    """

    static func topology(_ text: String = yaml) throws -> Topology {
        let result = TopologyLoader.load(text: text, file: "example.yaml")
        return try #require(result.topology, "\(result.diagnostics.map(\.message))")
    }

    static func table(in namespace: NetnsName, _ text: String = yaml) throws -> NFTable {
        let topology = try topology(text)
        return try #require(NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[0], in: .named(namespace.rawValue)))
    }
}

extension KernelTests {
    @Suite struct NFTablesDriverTests {
        @Test func aRenderedTableIsWrittenInOneTransactionAndReadBackEqual() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let desired = try NFTablesExample.table(in: names[0])
                #expect(try driver.read(desired.id) == nil)
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired))
                let live = try #require(try driver.read(desired.id))
                #expect(live == desired, "\(Self.differences(live, desired))")
                #expect(NFTablesDiff.changes(live: live, desired: desired).isEmpty)
            }
        }

        /// Switching between the nftables and ipvs proxy modes changes the table's
        /// comment, which the kernel cannot change in place: the table is deleted and
        /// made again, in one transaction.
        @Test func aChangedCommentRemakesTheTableInOneTransaction() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let first = try NFTablesExample.table(in: names[0])
                try driver.apply(NFTablesDiff.changes(live: nil, desired: first))
                var second = first
                second.comment = "another comment"
                let changes = NFTablesDiff.changes(live: try driver.read(first.id), desired: second)
                #expect(changes.first == .deleteTable(first.id))
                try driver.apply(changes)
                let live = try #require(try driver.read(first.id))
                #expect(live.comment == "another comment")
                #expect(live == second, "\(Self.differences(live, second))")
            }
        }

        @Test func nftListsTheTableReadably() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let desired = try NFTablesExample.table(in: names[0])
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired))
                let listing = try host("ip", "netns", "exec", names[0].rawValue, "nft", "list", "table", "ip", "podnet-lab")
                    .standardOutputText
                let serviceChain = NFTablesProxyNames.serviceChain(service: "kube-svc-1", port: ServicePort(port: 8080))
                #expect(listing.contains("type ipv4_addr . inet_proto . inet_service : verdict"))
                #expect(listing.contains("10.96.0.2 . tcp . 8080 : goto \(serviceChain)"))
                #expect(listing.contains("10.96.0.3 . udp . 53 : goto reject-chain"))
                #expect(listing.contains("numgen random mod 2 vmap { 0 : goto endpoint-"))
                #expect(listing.contains("dnat to 10.200.0.2:8080"))
                #expect(listing.contains("comment \"podnet cluster lab: services and masquerade\""))
            }
        }

        /// The plan's nft statements, loaded by `nft -f`, make exactly the table podnet
        /// writes over netlink: the commands a student pastes are the real thing.
        @Test func nftLoadingThePlanAsTextMakesTheSameTable() throws {
            try withScratchNamespaces(1) { names in
                try NftScript.expectPlanMakesTheTable(try NFTablesExample.table(in: names[0]), in: names[0])
            }
        }

        /// One service gains an endpoint: one transaction touching only its chains.
        @Test func aOneServiceChangeIsOneSmallTransaction() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let before = try NFTablesExample.table(in: names[0])
                try driver.apply(NFTablesDiff.changes(live: nil, desired: before))
                let after = try NFTablesExample.table(in: names[0], NFTablesExample.yaml.replacingOccurrences(
                    of: "{ name: a1, node: node-0, ip: 10.200.0.3 }", with: "{ name: a1, node: node-0, ip: 10.200.0.3, labels: { app: web } }"))
                let live = try #require(try driver.read(before.id))
                let changes = NFTablesDiff.changes(live: live, desired: after)
                #expect(changes.count == 6)
                try driver.apply(changes)
                #expect(try driver.read(before.id) == after)
                // And back, deleting the endpoint chain the service chain went to.
                try driver.apply(NFTablesDiff.changes(live: try driver.read(before.id), desired: before))
                #expect(try driver.read(before.id) == before)
            }
        }

        @Test func aRefusedTransactionChangesNothingAndNamesTheChange() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let table = try NFTablesExample.table(in: names[0])
                try driver.apply(NFTablesDiff.changes(live: nil, desired: table))
                let bad: [NFTablesChange] = [
                    .addChain(table.id, NFTChain(name: "fine")),
                    .addRule(table.id, chain: "fine", NFTRule([.verdict(.jump("missing-chain"))])),
                ]
                do throws(NFTablesApplyError) {
                    try driver.apply(bad)
                    Issue.record("the kernel accepted a jump to a missing chain")
                } catch {
                    #expect(error.change == bad[1])
                    #expect(error.error.kernelError?.code == 2)  // ENOENT
                    #expect(error.description.contains("nft add rule ip podnet-lab fine jump missing-chain"))
                }
                #expect(try driver.read(table.id) == table)
                // Deleting the table takes everything with it.
                try driver.apply(NFTablesDiff.changes(live: table, desired: nil))
                #expect(try driver.read(table.id) == nil)
            }
        }

        static func differences(_ a: NFTable, _ b: NFTable) -> [String] {
            var lines: [String] = []
            if a.comment != b.comment { lines.append("comment \(String(describing: a.comment)) vs \(String(describing: b.comment))") }
            for name in Set(a.chains.keys).union(b.chains.keys).sorted() where a.chains[name] != b.chains[name] {
                lines.append("chain \(name):\n  \(String(describing: a.chains[name]))\n  \(String(describing: b.chains[name]))")
            }
            for name in Set(a.sets.keys).union(b.sets.keys).sorted() where a.sets[name] != b.sets[name] {
                lines.append("set \(name):\n  \(String(describing: a.sets[name]))\n  \(String(describing: b.sets[name]))")
            }
            return lines
        }
    }
}
