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
                try LiveStateReader.readProxyState(into: &snapshot, namespace: id.namespace, cluster: "lab", serviceCIDRs: [],
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
                    #expect(error.description.contains("while podnet was planning"))
                }
                #expect(try driver.read(desired.id) == desired)
                #expect(try driver.connection.nfGeneration() == NFTablesGeneration.after(before))
                // At the current generation it goes through.
                try driver.apply(changes, generation: driver.connection.nfGeneration())
                #expect(try driver.read(desired.id) == changed)
            }
        }

        /// Chains (with the anonymous sets of their rules) and named sets read back one by
        /// one as the whole table has them; what does not exist is absent.
        @Test func partsOfATableReadBackAsTheWholeTableHasThem() throws {
            try withScratchNamespaces(1) { names in
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let table = try NFTablesExample.table(in: names[0])
                try driver.apply(NFTablesDiff.changes(live: nil, desired: table))
                let serviceChain = try #require(table.chains.keys.first { $0.hasPrefix("service-") })
                let chains = [NFTablesProxyNames.services, serviceChain, NFTablesProxyNames.masquerading, "no-such-chain"]
                let sets = [NFTablesProxyNames.serviceIPs, NFTablesProxyNames.noEndpointServices, "no-such-set"]
                let parts = try driver.connection.nfTableParts(table.id, chains: chains, sets: sets)
                #expect(Set(parts.chains.keys) == Set(chains.dropLast()))
                for name in chains.dropLast() { #expect(parts.chains[name] == table.chains[name]?.rules, "\(name)") }
                #expect(parts.sets == [NFTablesProxyNames.serviceIPs: table.sets[NFTablesProxyNames.serviceIPs]!,
                                       NFTablesProxyNames.noEndpointServices: table.sets[NFTablesProxyNames.noEndpointServices]!])
                #expect(try driver.connection.nfTableParts(NFTable.ID(namespace: table.id.namespace, name: "no-such-table"),
                                                           chains: chains, sets: sets) == NFTableParts())
            }
        }

        /// Another program's commit to another table moves the generation but not
        /// podnet's table: the changes go in at the new generation, and the record is
        /// kept once they read back as planned. A commit to podnet's own table refuses
        /// them; a transaction that does not read back as expected keeps no record.
        @Test func aCommitAtAMovedGenerationIsRetriedOnlyWhileTheTableIsUnchanged() throws {
            try withScratchNamespaces(1) { names in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("podnet-records-\(getpid())-\(names[0].rawValue)").path
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let store = NFTablesRecordStore(directory: directory)
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let cookie = try #require(try (driver.connection.socket as? KernelNetlinkSocket)?.namespaceCookie())
                let record = NFTablesProxyRenderer(topology: try NFTablesExample.topology()).record()
                let first = try NFTablesExample.table(in: names[0])
                try driver.apply(NFTablesDiff.changes(live: nil, desired: first))
                var second = first
                second.chains[NFTablesProxyNames.services]!.rules = []
                let changes = NFTablesDiff.changes(live: first, desired: second)
                func commit(expecting expected: NFTable) throws -> NFTablesCommit {
                    NFTablesCommit(plannedAt: NFTablesGenerationStamp(generation: try driver.connection.nfGeneration(), namespaceCookie: cookie),
                                   plannedFrom: first, expected: expected, record: record)
                }

                var planned = try commit(expecting: second)
                try driver.apply([.addTable(NFTable.ID(namespace: first.id.namespace, name: "someone-else"), comment: nil)])
                try driver.apply(changes, as: planned, store: store)
                #expect(try driver.read(first.id) == second)
                let kept = try #require(store.load(first.id))
                #expect(kept.generation == (try driver.connection.nfGeneration()) && kept.namespaceCookie == cookie && kept.record == record)

                // Back to `first`, then planned from it while someone edits podnet's table.
                try driver.apply(NFTablesDiff.changes(live: second, desired: first))
                planned = try commit(expecting: second)
                try driver.apply([.addRule(first.id, chain: NFTablesProxyNames.reject, NFTRule([.verdict(.accept)]))])
                do {
                    try driver.apply(changes, as: planned, store: store)
                    Issue.record("changes planned from a table someone else changed were committed")
                } catch let error as NFTablesApplyError {
                    #expect(error.isStale, "\(error)")
                }
                #expect(store.load(first.id) == nil)

                // A transaction whose chains do not read back as the plan expects (a
                // podnet bug, or a kernel that lists a rule otherwise) keeps no record.
                try driver.apply(NFTablesDiff.changes(live: try driver.read(first.id), desired: first))
                var wrong = second
                wrong.chains[NFTablesProxyNames.services]!.rules = [NFTRule([.verdict(.accept)])]
                try driver.apply(changes, as: try commit(expecting: wrong), store: store)
                #expect(try driver.read(first.id) == second)
                #expect(store.load(first.id) == nil)
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
                let records = LiveStateReader.NFTablesRecords(layouts: [.ip: renderer.layout()], store: store)
                func read() throws -> NamespaceSnapshot { try Self.proxyState(in: names[0], of: id, records: records) }

                // Written through the executor's path: planned at a generation, recorded at the next.
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                var snapshot = try read()
                #expect(snapshot.nftTables.isEmpty && snapshot.nftRecords.isEmpty)
                let stamp = try #require(snapshot.nftGenerations.first { $0.0 == id }?.1)
                let cookie = try #require(stamp.namespaceCookie, "this kernel gives namespace cookies (5.14 and later)")
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired), generation: stamp.generation)
                try store.save(renderer.record(), for: id,
                               at: NFTablesGenerationStamp(generation: NFTablesGeneration.after(stamp.generation), namespaceCookie: cookie))

                // The record holds: the table is not read, and rebuilds exactly.
                snapshot = try read()
                #expect(snapshot.nftTables.isEmpty)
                let record = try #require(snapshot.nftRecords.first { $0.0 == id }?.1)
                #expect(renderer.rebuild(recordedAs: record, desired: desired, onNode: topology.nodes[0].name)?.table == desired)
                #expect(snapshot.nftGenerations.first { $0.0 == id }?.1.generation == NFTablesGeneration.after(stamp.generation))

                // Any other commit in the namespace, even to another table, and the table is read.
                try driver.apply([.addTable(NFTable.ID(namespace: id.namespace, name: "someone-else"), comment: nil)])
                snapshot = try read()
                #expect(snapshot.nftRecords.isEmpty)
                #expect(snapshot.nftTables == [desired])

                // The same record in another namespace (another cookie) stands for nothing there.
                try withScratchNamespaces(1) { others in
                    let otherID = NFTable.ID(namespace: .named(others[0].rawValue), name: id.name)
                    let other = try NFTablesDriver(namespace: NetnsDirectory().open(others[0]))
                    var copy = desired
                    copy.id = otherID
                    let generation = try other.connection.nfGeneration()
                    try other.apply(NFTablesDiff.changes(live: nil, desired: copy))
                    try store.save(renderer.record(), for: otherID,
                                   at: NFTablesGenerationStamp(generation: NFTablesGeneration.after(generation), namespaceCookie: cookie))
                    let otherSnapshot = try Self.proxyState(in: others[0], of: otherID, records: records)
                    #expect(otherSnapshot.nftRecords.isEmpty)
                    #expect(otherSnapshot.nftTables == [copy])
                }
            }
        }
    }
}
