import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// How a table's changes are committed: against the ruleset generation they were
/// planned at, and what to keep of the table they leave (`NFTablesProxyRecord`).
public struct NFTablesCommit: Sendable {
    /// The generation (and namespace) the plan was read at; nil: unguarded, no record.
    public var plannedAt: NFTablesGenerationStamp?
    /// The table the plan was made from (nil: there was none): if the kernel refuses
    /// the changes because the generation moved, and the table is still this one, they
    /// are committed at the new generation.
    public var plannedFrom: NFTable?
    /// The table the changes make (nil: none), and its record, kept once what the
    /// transaction wrote reads back as this table has it.
    public var expected: NFTable?
    public var record: NFTablesProxyRecord?

    /// Unguarded, keeping no record.
    public static let unguarded = NFTablesCommit(plannedAt: nil, plannedFrom: nil, expected: nil, record: nil)

    public init(plannedAt: NFTablesGenerationStamp?, plannedFrom: NFTable?, expected: NFTable?, record: NFTablesProxyRecord?) {
        self.plannedAt = plannedAt
        self.plannedFrom = plannedFrom
        self.expected = expected
        self.record = record
    }
}

extension NFTablesDriver {
    /// Times a refused transaction is tried again at a newer generation.
    static let staleRetries = 3

    /// Applies the changes of one table as `commit` says: at the generation they were
    /// planned at; again at a newer one if another program's commit came in between
    /// without touching the table; then, if what the transaction wrote reads back as
    /// expected, keeps the table's record in `store` (any older one is removed first).
    public func apply(_ changes: [NFTablesChange], as commit: NFTablesCommit, store: NFTablesRecordStore) throws(NFTablesApplyError) {
        guard let id = changes.first?.table else { return }
        try apply(changes, as: [id: commit], store: store)
    }

    /// Applies the changes of one namespace's tables (a dual-stack node's `ip` and `ip6`
    /// proxy tables) as one transaction, guarded when every table has a commit planned
    /// at the same stamp; then keeps the record of each table that reads back as expected.
    public func apply(_ changes: [NFTablesChange], as commits: [NFTable.ID: NFTablesCommit],
                      store: NFTablesRecordStore) throws(NFTablesApplyError) {
        let tables = Self.tables(of: changes)
        for id in tables { store.remove(id) }
        guard let stamp = try commitGuarded(changes, as: commits) else { return }
        for id in tables {
            keepRecord(of: changes.filter { $0.table == id }, committedAt: stamp, as: commits[id]!, store: store)
        }
    }

    /// The tables `changes` touch, in the order they first appear.
    static func tables(of changes: [NFTablesChange]) -> [NFTable.ID] {
        var seen: Set<NFTable.ID> = []
        return changes.map(\.table).filter { seen.insert($0).inserted }
    }

    /// Commits `changes` at the generation `commit` planned them at, or at a newer one
    /// while the table is still the one planned from; the stamp they were committed at,
    /// nil when unguarded (no stamp, or one of another namespace than this socket's).
    public func commitGuarded(_ changes: [NFTablesChange], as commit: NFTablesCommit) throws(NFTablesApplyError) -> NFTablesGenerationStamp? {
        guard let id = changes.first?.table else { return nil }
        return try commitGuarded(changes, as: [id: commit])
    }

    /// As `commitGuarded(_:as:)` for the changes of several tables of one namespace:
    /// guarded only if each has a commit and all were planned at one stamp (one read of
    /// the namespace), retried only while every table is still the one planned from.
    public func commitGuarded(_ changes: [NFTablesChange], as commits: [NFTable.ID: NFTablesCommit]) throws(NFTablesApplyError) -> NFTablesGenerationStamp? {
        let tables = Self.tables(of: changes)
        guard !tables.isEmpty else { return nil }
        let planned = tables.map { commits[$0] }
        let cookie = try? (connection.socket as? KernelNetlinkSocket)?.namespaceCookie()
        guard planned.allSatisfy({ $0 != nil }), var stamp = planned[0]?.plannedAt, stamp.namespaceCookie == cookie,
              planned.allSatisfy({ $0?.plannedAt == stamp }) else {
            try apply(changes)
            return nil
        }
        var retries = 0
        while true {
            do {
                try apply(changes, generation: stamp.generation)
                return stamp
            } catch where error.isStale && retries < Self.staleRetries {
                guard let now = try? connection.nfGeneration(),
                      zip(tables, planned).allSatisfy({ id, commit in (try? read(id)) == commit?.plannedFrom }),
                      (try? connection.nfGeneration()) == now else { throw error }
                stamp.generation = now
                retries += 1
            }
        }
    }

    /// Keeps `commit`'s record of the table, at the generation after `stamp`, if the
    /// chains and sets `changes` touched read back as `commit.expected` has them.
    public func keepRecord(of changes: [NFTablesChange], committedAt stamp: NFTablesGenerationStamp, as commit: NFTablesCommit,
                           store: NFTablesRecordStore) {
        guard let id = changes.first?.table, let record = commit.record, let expected = commit.expected,
              wroteAsExpected(changes, expected) else { return }
        // Best effort: without the record, the next plan reads the table.
        try? store.save(record, for: id, at: NFTablesGenerationStamp(generation: NFTablesGeneration.after(stamp.generation),
                                                                     namespaceCookie: stamp.namespaceCookie))
    }

    /// Whether the chains and sets `changes` touched read back as `expected` has them.
    /// A change of the table itself or of a base chain is left to a whole read.
    func wroteAsExpected(_ changes: [NFTablesChange], _ expected: NFTable) -> Bool {
        var chains: Set<String> = [], sets: Set<String> = []
        for change in changes {
            switch change {
            case .addTable, .deleteTable: return false
            case .addChain(_, let chain):
                if chain.base != nil { return false }
                chains.insert(chain.name)
            case .deleteChain(_, let name), .flushChain(_, let name), .addRule(_, let name, _): chains.insert(name)
            case .addSet(_, let set), .deleteSet(_, let set): sets.insert(set.name)
            case .addElements(_, let set, _), .deleteElements(_, let set, _): sets.insert(set)
            }
        }
        guard let parts = try? connection.nfTableParts(expected.id, chains: chains.sorted(), sets: sets.sorted()) else { return false }
        return chains.allSatisfy { parts.chains[$0] == expected.chains[$0]?.rules }
            && sets.allSatisfy { parts.sets[$0] == expected.sets[$0] }
    }
}
