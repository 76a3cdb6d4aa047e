import PodnetKernelModel

/// Live table vs desired table → the changes that make one the other, fewest first:
/// a service that changed touches only its own chains and its own map elements.
///
/// - A chain whose rules differ is flushed and refilled; a base chain whose hook,
///   type, priority or policy differ is replaced (the kernel cannot move one).
/// - A set whose definition differs is replaced, and every chain looking it up is
///   refilled (its rules must let go of the old set first).
/// - Elements are compared by key: a changed element is deleted and added again
///   (the kernel refuses to change an element's data in place).
/// - No desired table: the live one is deleted, with everything in it.
/// - A table whose comment differs (switching between nftables and ipvs proxy
///   modes) is deleted and made again in the same transaction: the kernel keeps a
///   table's userdata as it was created. A table without one is kept (kernels
///   before 5.13 store no table userdata).
///
/// The order makes one valid transaction: flushes and element deletions first, so
/// that nothing refers to what is deleted next (sets, then chains, each chain
/// before the chains it jumps to); then sets and chains are created before the rules
/// and elements that refer to them.
public enum NFTablesDiff {
    /// - Parameter differingChains: the only chains in which the two tables may differ
    ///   (a table rebuilt from its record, `KernelState.nftRebuiltChains`): the others
    ///   are not compared. nil: every chain is.
    public static func changes(live: NFTable?, desired: NFTable?, differingChains: Set<String>? = nil) -> [NFTablesChange] {
        guard let desired else { return live.map { [.deleteTable($0.id)] } ?? [] }
        guard let live else { return creation(of: desired) }
        let id = live.id
        // A kernel before 5.13 keeps no table userdata at all (it ignores the attribute):
        // a table read back without a comment has nothing stale to replace.
        guard live.comment == nil || live.comment == desired.comment else { return [.deleteTable(id)] + creation(of: desired) }

        // Sets.
        var addedSets: [NFTSet] = [], replacedSets: [NFTSet] = [], keptSets: [(live: NFTSet, desired: NFTSet)] = []
        for name in desired.sets.keys.sorted() {
            let set = desired.sets[name]!
            if let current = live.sets[name] {
                if current.definition == set.definition { keptSets.append((current, set)) } else { replacedSets.append(set) }
            } else {
                addedSets.append(set)
            }
        }
        let removedSets = live.sets.keys.sorted().filter { desired.sets[$0] == nil }.map { live.sets[$0]! }
        let goneSets = Set(replacedSets.map(\.name) + removedSets.map(\.name))

        // Chains.
        // Only what changes is sorted (a large table changes in a few chains of thousands).
        var addedChains: [NFTChain] = [], replacedChains: [NFTChain] = [], refilledChains: [NFTChain] = []
        func compare(_ chain: NFTChain) {
            guard let current = live.chains[chain.name] else { addedChains.append(chain); return }
            if current.base != chain.base {
                replacedChains.append(chain)
            } else if current.rules != chain.rules || (!goneSets.isEmpty && !current.referencedSets.isDisjoint(with: goneSets)) {
                refilledChains.append(chain)
            }
        }
        var removed: [NFTChain]
        if let differingChains, goneSets.isEmpty {
            for name in differingChains { if let chain = desired.chains[name] { compare(chain) } }
            removed = differingChains.compactMap { desired.chains[$0] == nil ? live.chains[$0] : nil }
        } else {
            for chain in desired.chains.values { compare(chain) }
            removed = live.chains.values.filter { desired.chains[$0.name] == nil }
        }
        addedChains.sort(by: NFTable.listsBefore)
        replacedChains.sort(by: NFTable.listsBefore)
        refilledChains.sort(by: NFTable.listsBefore)
        removed.sort(by: NFTable.listsBefore)
        let removedChains = removed.map(\.name)
        let deletedChains = removedChains + replacedChains.map(\.name)

        var changes: [NFTablesChange] = []
        // 1. Let go of references: refilled chains, and deleted chains that look up a set deleted next.
        let flushedForSets = deletedChains.filter { !live.chains[$0]!.referencedSets.isDisjoint(with: goneSets) }
        for name in refilledChains.map(\.name) + flushedForSets {
            changes.append(.flushChain(id, name))
        }
        // 2. Elements that go or change.
        var elementsToAdd: [(String, [NFTSetElement])] = []
        for (current, wanted) in keptSets {
            let (deleted, added) = elementChanges(live: current.elements, desired: wanted.elements)
            if !deleted.isEmpty { changes.append(.deleteElements(id, set: wanted.name, deleted)) }
            if !added.isEmpty { elementsToAdd.append((wanted.name, added)) }
        }
        // 3. Sets, then chains, each before the chains it jumps to.
        for set in removedSets { changes.append(.deleteSet(id, set)) }
        for set in replacedSets { changes.append(.deleteSet(id, live.sets[set.name]!)) }
        for name in referencersFirst(deletedChains, in: live) { changes.append(.deleteChain(id, name)) }
        // 4. What rules and elements refer to, then them.
        for set in addedSets + replacedSets { changes.append(.addSet(id, set.definition)) }
        changes += createdAndFilled(addedChains + replacedChains, filling: addedChains + replacedChains + refilledChains, in: id)
        for set in addedSets + replacedSets where !set.elements.isEmpty {
            changes.append(.addElements(id, set: set.name, set.elements))
        }
        for (name, elements) in elementsToAdd { changes.append(.addElements(id, set: name, elements)) }
        return changes
    }

    /// Everything of a new table, in creation order.
    public static func creation(of table: NFTable) -> [NFTablesChange] {
        let id = table.id
        var changes: [NFTablesChange] = [.addTable(id, comment: table.comment)]
        for name in table.sets.keys.sorted() { changes.append(.addSet(id, table.sets[name]!.definition)) }
        let chains = table.chainNames.map { table.chains[$0]! }
        changes += createdAndFilled(chains, filling: chains, in: id)
        for name in table.sets.keys.sorted() where !table.sets[name]!.elements.isEmpty {
            changes.append(.addElements(id, set: name, table.sets[name]!.elements))
        }
        return changes
    }

    /// The chains `created` made (empty), and the rules of the chains `filling` added,
    /// in an order the kernel takes and that keeps it from going quadratic: a chain
    /// whose rules carry an anonymous set is filled as early as it can be, right after
    /// the chains it refers to are made, and only then the rest.
    ///
    /// Why: the kernel binds each anonymous set to its rule by walking every entry of
    /// the transaction so far (`__nft_set_trans_bind`). With 10,000 endpoint chains and
    /// their rules ahead of the first service's `numgen … vmap { … }`, each of 1,000
    /// binds walked some 30,000 entries: more than half of a cold apply's kernel time.
    static func createdAndFilled(_ created: [NFTChain], filling filled: [NFTChain], in id: NFTable.ID) -> [NFTablesChange] {
        var changes: [NFTablesChange] = []
        changes.reserveCapacity(created.count + filled.reduce(0) { $0 + $1.rules.count })
        let toCreate = Dictionary(created.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var made: Set<String> = []
        func make(_ name: String) {
            guard let chain = toCreate[name], made.insert(name).inserted else { return }
            changes.append(.addChain(id, NFTChain(name: name, base: chain.base)))
        }
        var filledEarly: Set<String> = []
        for chain in filled where chain.rules.contains(where: \.hasAnonymousSet) {
            for rule in chain.rules { for target in rule.referencedChains { make(target) } }
            make(chain.name)
            for rule in chain.rules { changes.append(.addRule(id, chain: chain.name, rule)) }
            filledEarly.insert(chain.name)
        }
        for chain in created { make(chain.name) }
        for chain in filled where !filledEarly.contains(chain.name) {
            for rule in chain.rules { changes.append(.addRule(id, chain: chain.name, rule)) }
        }
        return changes
    }

    /// Elements to delete (gone, or with other data) and to add (new, or with other data).
    static func elementChanges(live: [NFTSetElement], desired: [NFTSetElement]) -> (deleted: [NFTSetElement], added: [NFTSetElement]) {
        guard live != desired else { return ([], []) }
        let liveByKey = Dictionary(live.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let desiredByKey = Dictionary(desired.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let deleted = live.filter { desiredByKey[$0.key] != $0 }
        let added = desired.filter { liveByKey[$0.key] != $0 }
        return (deleted, added)
    }

    /// `names` ordered so that a chain comes before every chain it jumps or goes to
    /// (the kernel refuses to delete a chain something still refers to).
    static func referencersFirst(_ names: [String], in table: NFTable) -> [String] {
        let doomed = Set(names)
        var referencers: [String: [String]] = [:]
        for name in names {
            for target in table.chains[name]?.referencedChains ?? [] where doomed.contains(target) {
                referencers[target, default: []].append(name)
            }
        }
        var ordered: [String] = []
        var done: Set<String> = []
        func visit(_ name: String) {
            guard done.insert(name).inserted else { return }
            for referencer in (referencers[name] ?? []).sorted() { visit(referencer) }
            ordered.append(name)
        }
        for name in names { visit(name) }
        return ordered
    }
}
