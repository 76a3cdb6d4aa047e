import Foundation
import Glibc
import PodnetAddress
@testable import PodnetKernel
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// A dual-stack node's `ip` and `ip6` proxy tables: changed in one guarded
/// transaction, each recorded, and both rebuilt from their records rather than read.
extension KernelTests {
    @Suite struct NFTablesDualStackRecordTests {
        static let yaml = """
        name: lab
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        network: { backend: host-gw }
        underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
        nodes:
          - { name: node-0, podCIDR: [10.200.0.0/24, fd00:200::/64] }
          - { name: node-1, podCIDR: [10.200.1.0/24, "fd00:200:0:1::/64"] }
        pods:
          - { name: a0, node: node-0, ip: [10.200.0.2, fd00:200::2], labels: { app: web } }
          - { name: b, node: node-1, ip: [10.200.1.2, "fd00:200:0:1::2"], labels: { app: web } }
        services:
          - { name: web, clusterIP: [10.96.0.2, "fd00:96::2"], selector: { app: web }, ports: [{ port: 8080 }] }
        """

        static func tables(_ topology: Topology, in name: NetnsName) throws -> [AddressFamily: NFTable] {
            let renderer = NFTablesProxyRenderer(topology: topology)
            var tables: [AddressFamily: NFTable] = [:]
            for family in AddressFamily.allCases {
                tables[family] = try #require(renderer.table(forNode: topology.nodes[0], in: .named(name.rawValue), family: family))
            }
            return tables
        }

        @Test func bothFamiliesTablesAreCommittedGuardedAndStandRecorded() throws {
            try withScratchNamespaces(1) { names in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("podnet-records6-\(getpid())-\(names[0].rawValue)").path
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let store = NFTablesRecordStore(directory: directory)
                let before = try NFTablesExample.topology(Self.yaml)
                let after = try NFTablesExample.topology(Self.yaml.replacingOccurrences(of: "ports: [{ port: 8080 }]", with: "ports: [{ port: 8081 }]"))
                let (old, new) = (try Self.tables(before, in: names[0]), try Self.tables(after, in: names[0]))
                let renderer = NFTablesProxyRenderer(topology: after)
                let records = LiveStateReader.NFTablesRecords(layouts: [.ip: renderer.layout(for: .ipv4), .ip6: renderer.layout(for: .ipv6)], store: store)
                let id = old[.ipv4]!.id
                func read() throws -> NamespaceSnapshot { try NFTablesRecordTests.proxyState(in: names[0], of: id, records: records) }

                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                try driver.apply(NFTablesDiff.changes(live: nil, desired: old[.ipv4]!) + NFTablesDiff.changes(live: nil, desired: old[.ipv6]!))
                // Without records both are read whole, and known at the stamp they were read at.
                var snapshot = try read()
                #expect(snapshot.nftRecords.isEmpty)
                #expect(Set(snapshot.nftTables) == [old[.ipv4]!, old[.ipv6]!])
                let stamps = Dictionary(snapshot.nftGenerations, uniquingKeysWith: { first, _ in first })
                #expect(Set(stamps.keys) == [id, old[.ipv6]!.id])
                let stamp = try #require(stamps[id])

                // One transaction for both tables, guarded at the stamp, records kept for each.
                var commits: [NFTable.ID: NFTablesCommit] = [:]
                for family in AddressFamily.allCases {
                    commits[new[family]!.id] = NFTablesCommit(plannedAt: stamp, plannedFrom: old[family], expected: new[family],
                                                              record: renderer.record(for: family))
                }
                let changes = NFTablesDiff.changes(live: old[.ipv4]!, desired: new[.ipv4]!) + NFTablesDiff.changes(live: old[.ipv6]!, desired: new[.ipv6]!)
                try driver.apply(changes, as: commits, store: store)
                #expect(try driver.read(id) == new[.ipv4]! && driver.read(new[.ipv6]!.id) == new[.ipv6]!)
                #expect(store.load(id)?.record == renderer.record(for: .ipv4))
                #expect(store.load(new[.ipv6]!.id)?.record == renderer.record(for: .ipv6))

                // Neither table is read: each record rebuilds its table exactly.
                snapshot = try read()
                #expect(snapshot.nftTables.isEmpty)
                let recorded = Dictionary(snapshot.nftRecords, uniquingKeysWith: { first, _ in first })
                for family in AddressFamily.allCases {
                    let record = try #require(recorded[new[family]!.id], "\(family)")
                    #expect(renderer.rebuild(recordedAs: record, desired: new[family]!, onNode: "node-0")?.table == new[family]!)
                }
                #expect(snapshot.nftGenerations.count == 2)

                // A change planned from a table someone else has since changed is refused whole.
                let now = NFTablesGenerationStamp(generation: try driver.connection.nfGeneration(), namespaceCookie: stamp.namespaceCookie)
                try driver.apply([.flushChain(new[.ipv6]!.id, NFTablesProxyNames.services)])
                for key in commits.keys { commits[key]!.plannedAt = now }
                do {
                    try driver.apply(NFTablesDiff.changes(live: new[.ipv4]!, desired: old[.ipv4]!)
                                     + NFTablesDiff.changes(live: new[.ipv6]!, desired: old[.ipv6]!), as: commits, store: store)
                    Issue.record("changes planned from an ip6 table someone else changed were committed")
                } catch let error as NFTablesApplyError {
                    #expect(error.isStale, "\(error)")
                }
                #expect(try driver.read(id) == new[.ipv4]!)
                #expect(store.load(id) == nil && store.load(new[.ipv6]!.id) == nil)
                // And with the ruleset moved, both tables are read whole again.
                snapshot = try read()
                #expect(snapshot.nftRecords.isEmpty && snapshot.nftTables.count == 2)
            }
        }
    }
}
