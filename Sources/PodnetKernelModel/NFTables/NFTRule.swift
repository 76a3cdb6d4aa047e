/// A rule: expressions the nf_tables virtual machine runs in order, loading packet
/// fields into registers, comparing them, and ending in a verdict or an action.
/// This is the kernel's own form, so a rule read back compares equal to the rule
/// written; `NFTSyntax` shows it as nft would.
public struct NFTRule: Hashable, Sendable, Codable {
    public var expressions: [NFTExpression]
    /// The rule's comment (nft's rule userdata).
    public var comment: String?

    public init(_ expressions: [NFTExpression], comment: String? = nil) {
        self.expressions = expressions
        self.comment = comment
    }

    public var referencedChains: [String] {
        expressions.flatMap { expression -> [String] in
            switch expression {
            case .immediate(_, .verdict(let verdict)):
                return verdict.chain.map { [$0] } ?? []
            case .lookup(let lookup):
                guard case .anonymous(let set) = lookup.set else { return [] }
                return set.elements.compactMap { element in
                    if case .verdict(let verdict) = element.data { return verdict.chain }
                    return nil
                }
            default:
                return []
            }
        }
    }

    /// Whether the rule carries an anonymous set (`… vmap { 0 : goto a, … }`): the
    /// kernel binds it to the rule by walking the whole transaction so far.
    public var hasAnonymousSet: Bool {
        expressions.contains { expression in
            if case .lookup(let lookup) = expression, case .anonymous = lookup.set { return true }
            return false
        }
    }

    public var referencedSets: [String] {
        expressions.compactMap { expression in
            if case .lookup(let lookup) = expression, case .named(let name) = lookup.set { return name }
            return nil
        }
    }
}

/// A verdict: what happens to the packet next.
public enum NFTVerdict: Hashable, Sendable, Codable {
    case accept
    case drop
    case `continue`
    case `return`
    /// Run the chain, then come back.
    case jump(String)
    /// Run the chain and do not come back.
    case goto(String)

    /// The chain a jump or goto names.
    public var chain: String? {
        switch self {
        case .jump(let chain), .goto(let chain): return chain
        default: return nil
        }
    }

    /// The kernel's verdict code (NF_ACCEPT, NF_DROP, NFT_CONTINUE, NFT_RETURN, NFT_JUMP, NFT_GOTO).
    public var code: Int32 {
        switch self {
        case .drop: return 0
        case .accept: return 1
        case .continue: return -1
        case .jump: return -3
        case .goto: return -4
        case .return: return -5
        }
    }

    /// The verdict a code (and, for jump/goto, a chain name) stands for; nil for an unknown code.
    public init?(code: Int32, chain: String?) {
        switch code {
        case 0: self = .drop
        case 1: self = .accept
        case -1: self = .continue
        case -3: guard let chain else { return nil }; self = .jump(chain)
        case -4: guard let chain else { return nil }; self = .goto(chain)
        case -5: self = .return
        default: return nil
        }
    }
}

/// Data held in a register or a set element: bytes, or a verdict.
public enum NFTData: Hashable, Sendable, Codable {
    case value([UInt8])
    case verdict(NFTVerdict)
}
