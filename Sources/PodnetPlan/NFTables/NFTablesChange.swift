import PodnetKernelModel

/// One change to an nf_tables table, in nft's vocabulary. A plan's changes to one
/// table are applied as one atomic nf_tables transaction, in order.
public enum NFTablesChange: Hashable, Sendable {
    case addTable(NFTable.ID, comment: String?)
    /// Deletes the table with everything in it.
    case deleteTable(NFTable.ID)
    /// Creates a chain (its definition: name and, for a base chain, its hook); its
    /// rules are `addRule` changes of their own.
    case addChain(NFTable.ID, NFTChain)
    /// Deletes a chain and its rules; nothing else may still jump to it.
    case deleteChain(NFTable.ID, String)
    /// Deletes every rule of a chain, keeping the chain.
    case flushChain(NFTable.ID, String)
    /// Appends a rule to a chain.
    case addRule(NFTable.ID, chain: String, NFTRule)
    /// Creates a set or map (its definition; elements come with `addElements`).
    case addSet(NFTable.ID, NFTSet)
    /// Deletes a set or map (given by its definition: nft says `map` for maps).
    case deleteSet(NFTable.ID, NFTSet)
    case addElements(NFTable.ID, set: String, [NFTSetElement])
    /// Deletes elements by key.
    case deleteElements(NFTable.ID, set: String, [NFTSetElement])

    public var table: NFTable.ID {
        switch self {
        case .addTable(let id, _), .deleteTable(let id), .addChain(let id, _), .deleteChain(let id, _),
             .flushChain(let id, _), .addRule(let id, _, _), .addSet(let id, _), .deleteSet(let id, _),
             .addElements(let id, _, _), .deleteElements(let id, _, _):
            return id
        }
    }

    public var isDeletion: Bool {
        switch self {
        case .deleteTable, .deleteChain, .flushChain, .deleteSet, .deleteElements: return true
        default: return false
        }
    }

    /// What the change does, briefly: "add chain service-…", "add 2 elements to service-ips".
    public var description: String {
        switch self {
        case .addTable(let id, _): return "add table \(id.family) \(id.name)"
        case .deleteTable(let id): return "delete table \(id.family) \(id.name) and everything in it"
        case .addChain(_, let chain):
            if let base = chain.base { return "add base chain \(chain.name) (\(base.type.rawValue) \(base.hook))" }
            return "add chain \(chain.name)"
        case .deleteChain(_, let name): return "delete chain \(name)"
        case .flushChain(_, let name): return "flush chain \(name)"
        case .addRule(_, let chain, _): return "add a rule to \(chain)"
        case .addSet(_, let set): return "add \(set.isMap ? "map" : "set") \(set.name)"
        case .deleteSet(_, let set): return "delete \(set.isMap ? "map" : "set") \(set.name)"
        case .addElements(_, let set, let elements): return "add \(Self.count(elements.count, "element")) to \(set)"
        case .deleteElements(_, let set, let elements): return "delete \(Self.count(elements.count, "element")) from \(set)"
        }
    }

    /// The change as statements of an `nft -f` file (no shell quoting).
    public var nftStatements: [String] {
        switch self {
        case .addTable(let id, let comment):
            var text = "add table \(id.family) \(id.name)"
            if let comment { text += " { comment \(NFTSyntax.quoted(comment)) ; }" }
            return [text]
        case .deleteTable(let id):
            return ["delete table \(id.family) \(id.name)"]
        case .addChain(let id, let chain):
            return ["add " + NFTSyntax.chainDefinition(chain, in: id)]
        case .deleteChain(let id, let name):
            return ["delete chain \(id.family) \(id.name) \(name)"]
        case .flushChain(let id, let name):
            return ["flush chain \(id.family) \(id.name) \(name)"]
        case .addRule(let id, let chain, let rule):
            guard let text = NFTSyntax.text(of: rule, family: id.family) else {
                return ["# a rule of \(chain) that nft syntax cannot express: \(rule.expressions.count) expressions"]
            }
            return ["add rule \(id.family) \(id.name) \(chain) \(text)"]
        case .addSet(let id, let set):
            return ["add " + NFTSyntax.setDefinition(set, in: id)]
        case .deleteSet(let id, let set):
            return ["delete \(set.isMap ? "map" : "set") \(id.family) \(id.name) \(set.name)"]
        case .addElements(let id, let set, let elements):
            return Self.chunks(elements).map { "add element \(id.family) \(id.name) \(set) \(NFTSyntax.elementsText($0))" }
        case .deleteElements(let id, let set, let elements):
            let keys = elements.map { NFTSetElement(key: $0.key) }
            return Self.chunks(keys).map { "delete element \(id.family) \(id.name) \(set) \(NFTSyntax.elementsText($0))" }
        }
    }

    /// The change as shell commands to run in the table's namespace
    /// (`ip netns exec NODE` before each): `nft add element ip podnet-lab service-ips { … }`.
    public var commands: [String] {
        nftStatements.map { $0.hasPrefix("#") ? $0 : "nft " + Self.shellQuotedIfNeeded($0) }
    }

    /// Element lists are split so that a pasted command stays readable.
    static func chunks(_ elements: [NFTSetElement], size: Int = 64) -> [[NFTSetElement]] {
        stride(from: 0, to: elements.count, by: size).map { Array(elements[$0..<min($0 + size, elements.count)]) }
    }

    /// nft joins its arguments itself; a statement goes into single quotes only when
    /// the shell would otherwise split or expand it (`;`, `|`, `&`, quotes, globs).
    static func shellQuotedIfNeeded(_ text: String) -> String {
        let special: Set<Character> = [";", "|", "&", "<", ">", "\"", "'", "$", "`", "\\", "(", ")", "*", "?", "[", "]", "#", "~"]
        guard text.contains(where: { special.contains($0) }) else { return text }
        return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    private static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
}
