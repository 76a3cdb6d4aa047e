import PodnetKernelModel

/// Applies changes to a table model the way the kernel applies them to a table,
/// refusing what the kernel refuses (a rule jumping to a chain that does not exist,
/// deleting a chain or set something still refers to, adding what exists). Tests use
/// it to check that a diff's changes, in their order, make one valid transaction
/// whose result is the desired table.
public enum NFTablesSimulator {
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public var change: NFTablesChange
        public var reason: String
        public var description: String { "\(change.description): \(reason)" }
    }

    public static func apply(_ changes: [NFTablesChange], to table: NFTable?) throws(Refusal) -> NFTable? {
        var table = table
        for change in changes { try apply(change, to: &table) }
        return table
    }

    static func apply(_ change: NFTablesChange, to table: inout NFTable?) throws(Refusal) {
        func refuse(_ reason: String) -> Refusal { Refusal(change: change, reason: reason) }
        if case .addTable(let id, let comment) = change {
            if table == nil { table = NFTable(id: id, comment: comment) }
            return
        }
        guard var current = table, current.id == change.table else { throw refuse("no such table") }
        switch change {
        case .addTable:
            break
        case .deleteTable:
            table = nil
            return
        case .addChain(_, let chain):
            guard current.chains[chain.name] == nil else { throw refuse("the chain exists") }
            current.insert(NFTChain(name: chain.name, base: chain.base))
        case .deleteChain(_, let name):
            guard current.chains[name] != nil else { throw refuse("no such chain") }
            current.chains[name] = nil
            if let user = referrers(toChain: name, in: current) { throw refuse("\(user) still refers to it") }
        case .flushChain(_, let name):
            guard current.chains[name] != nil else { throw refuse("no such chain") }
            current.chains[name]!.rules = []
        case .addRule(_, let chain, let rule):
            guard current.chains[chain] != nil else { throw refuse("no such chain") }
            for target in rule.referencedChains {
                guard let targetChain = current.chains[target] else { throw refuse("it jumps to a missing chain \(target)") }
                guard targetChain.base == nil else { throw refuse("it jumps to base chain \(target)") }
            }
            for set in rule.referencedSets where current.sets[set] == nil { throw refuse("it looks up a missing set \(set)") }
            current.chains[chain]!.rules.append(rule)
        case .addSet(_, let set):
            guard current.sets[set.name] == nil else { throw refuse("the set exists") }
            current.insert(set.definition)
        case .deleteSet(_, let set):
            guard current.sets[set.name] != nil else { throw refuse("no such set") }
            for chain in current.chains.values where chain.referencedSets.contains(set.name) {
                throw refuse("chain \(chain.name) still looks it up")
            }
            current.sets[set.name] = nil
        case .addElements(_, let name, let elements):
            guard var set = current.sets[name] else { throw refuse("no such set") }
            var keys = Set(set.elements.map(\.key))
            for element in elements {
                guard keys.insert(element.key).inserted else { throw refuse("an element with key \(element.key) exists") }
                if case .verdict(let verdict)? = element.data, let target = verdict.chain, current.chains[target] == nil {
                    throw refuse("an element goes to a missing chain \(target)")
                }
            }
            set.elements += elements
            current.sets[name] = set
        case .deleteElements(_, let name, let elements):
            guard var set = current.sets[name] else { throw refuse("no such set") }
            let doomed = Set(elements.map(\.key))
            guard doomed.isSubset(of: Set(set.elements.map(\.key))) else { throw refuse("an element is missing") }
            set.elements.removeAll { doomed.contains($0.key) }
            current.sets[name] = set
        }
        table = current
    }

    /// What still jumps or goes to `chain`: a rule's chain, or a set.
    static func referrers(toChain chain: String, in table: NFTable) -> String? {
        for other in table.chains.values where other.referencedChains.contains(chain) { return "chain \(other.name)" }
        for set in table.sets.values {
            for element in set.elements {
                if case .verdict(let verdict)? = element.data, verdict.chain == chain { return "an element of \(set.name)" }
            }
        }
        return nil
    }
}
