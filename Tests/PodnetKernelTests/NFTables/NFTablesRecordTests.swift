import Foundation
import Glibc
@testable import PodnetKernel
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// The ruleset generation guards both what podnet commits and the records that let
/// it skip reading a table: a transaction planned at an older generation is refused
/// whole, and a record stands for a table only while the generation holds.
extension KernelTests {
    @Suite struct NFTablesRecordTests {
        /// What the reader finds of table `id` (cluster "lab") inside namespace `name`.
        static func proxyState(in name: NetnsName, of id: NFTable.ID, records: LiveStateReader.NFTablesRecords) throws -> NamespaceSnapshot {
            try withNetns(name) {
                var snapshot = NamespaceSnapshot(name: name.rawValue, links: [], addresses: [], routes: [], neighbours: [],
                                                 forwardingEntries: [], sysctls: [:])
                try LiveStateReader.readProxyState(into: &snapshot, namespace: id.namespace, cluster: "lab", serviceCIDR: nil,
                                                   records: records)
                return snapshot
            }
        }

        @Test func aTransactionPlannedAtAnOlderGenerationIsRefusedWhole() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let desired = try NFTablesExample.table(in: names[0])
                let before = try driver.connection.nfGeneration()
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired), generation: before)
                #expect(try driver.connection.nfGeneration() == NFTablesGeneration.after(before))

                // Planned at `before`, committed after another transaction: refused, nothing applied.
                var changed = desired
                changed.chains[NFTablesProxyNames.services]!.rules = []
                let changes = NFTablesDiff.changes(live: desired, desired: changed)
                #expect(!changes.isEmpty)
                do {
                    try driver.apply(changes, generation: before)
                    Issue.record("a transaction planned at a past generation was committed")
                } catch let error as NFTablesApplyError {
                    #expect(error.isStale, "\(error)")
                    #expect(error.description.contains("changed while podnet was planning"))
                }
                #expect(try driver.read(desired.id) == desired)
                #expect(try driver.connection.nfGeneration() == NFTablesGeneration.after(before))
                // At the current generation it goes through.
                try driver.apply(changes, generation: driver.connection.nfGeneration())
                #expect(try driver.read(desired.id) == changed)
            }
        }

        @Test func aRecordStandsForTheTableOnlyWhileTheGenerationHolds() throws {
            try withScratchNamespaces(1) { names in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("podnet-records-\(getpid())-\(names[0].rawValue)").path
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let store = NFTablesRecordStore(directory: directory)
                let topology = try NFTablesExample.topology()
                let renderer = NFTablesProxyRenderer(topology: topology)
                let desired = try NFTablesExample.table(in: names[0])
                let id = NFTable.ID(namespace: .named(names[0].rawValue), name: NFTable.podnetName(cluster: "lab"))
                #expect(desired.id == id)
                let records = LiveStateReader.NFTablesRecords(layout: renderer.layout, store: store)
                func read() throws -> NamespaceSnapshot { try Self.proxyState(in: names[0], of: id, records: records) }

                // Written through the executor's path: planned at a generation, recorded at the next.
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                var snapshot = try read()
                #expect(snapshot.nftTables.isEmpty && snapshot.nftRecord == nil)
                let stamp = try #require(snapshot.nftGeneration?.1)
                let cookie = try #require(stamp.namespaceCookie, "this kernel gives namespace cookies (5.14 and later)")
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired), generation: stamp.generation)
                try store.save(NFTablesRecordFile(namespaceCookie: cookie, generation: NFTablesGeneration.after(stamp.generation),
                                                  record: renderer.record()), for: id)

                // The record holds: the table is not read, and rebuilds exactly.
                snapshot = try read()
                #expect(snapshot.nftTables.isEmpty)
                let record = try #require(snapshot.nftRecord?.1)
                #expect(renderer.table(recordedAs: record, desired: desired) == desired)
                #expect(snapshot.nftGeneration?.1.generation == NFTablesGeneration.after(stamp.generation))

                // Any other commit in the namespace, even to another table, and the table is read.
                try driver.apply([.addTable(NFTable.ID(namespace: id.namespace, name: "someone-else"), comment: nil)])
                snapshot = try read()
                #expect(snapshot.nftRecord == nil)
                #expect(snapshot.nftTables == [desired])

                // The same record in another namespace (another cookie) stands for nothing there.
                try withScratchNamespaces(1) { others in
                    let otherID = NFTable.ID(namespace: .named(others[0].rawValue), name: id.name)
                    let other = try NFTablesDriver(namespace: NetnsDirectory().open(others[0]))
                    var copy = desired
                    copy.id = otherID
                    let generation = try other.connection.nfGeneration()
                    try other.apply(NFTablesDiff.changes(live: nil, desired: copy))
                    try store.save(NFTablesRecordFile(namespaceCookie: cookie, generation: NFTablesGeneration.after(generation),
                                                      record: renderer.record()), for: otherID)
                    let otherSnapshot = try Self.proxyState(in: others[0], of: otherID, records: records)
                    #expect(otherSnapshot.nftRecord == nil)
                    #expect(otherSnapshot.nftTables == [copy])
                }
            }
        }
    }
}
