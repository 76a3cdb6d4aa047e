/// A chain: an ordered list of rules. A base chain is attached to a netfilter hook
/// and runs for every packet passing it; a regular chain runs only when a rule
/// jumps or goes to it.
public struct NFTChain: Hashable, Sendable, Codable {
    public var name: String
    public var base: NFTBaseChain?
    public var rules: [NFTRule]

    public init(name: String, base: NFTBaseChain? = nil, rules: [NFTRule] = []) {
        self.name = name
        self.base = base
        self.rules = rules
    }

    /// The chains this chain's rules jump or go to (also through verdict maps).
    public var referencedChains: Set<String> {
        Set(rules.flatMap(\.referencedChains))
    }

    /// The named sets this chain's rules look up.
    public var referencedSets: Set<String> {
        Set(rules.flatMap(\.referencedSets))
    }
}

/// What makes a chain a base chain: its type, hook, priority and policy.
public struct NFTBaseChain: Hashable, Sendable, Codable {
    public enum ChainType: String, Hashable, Sendable, Codable {
        case filter
        case nat
        case route
    }

    /// The netfilter hooks of the ip/ip6/inet families (NF_INET_*).
    public enum Hook: UInt32, Hashable, Sendable, Codable, CustomStringConvertible {
        case prerouting = 0
        case input = 1
        case forward = 2
        case output = 3
        case postrouting = 4

        public var description: String {
            switch self {
            case .prerouting: return "prerouting"
            case .input: return "input"
            case .forward: return "forward"
            case .output: return "output"
            case .postrouting: return "postrouting"
            }
        }
    }

    public enum Policy: UInt32, Hashable, Sendable, Codable {
        case drop = 0
        case accept = 1
    }

    public var type: ChainType
    public var hook: Hook
    public var priority: Int32
    public var policy: Policy

    public init(type: ChainType, hook: Hook, priority: Int32, policy: Policy = .accept) {
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
    }

    /// NF_IP_PRI_NAT_DST: where DNAT happens (nft's `dstnat`).
    public static let dstnatPriority: Int32 = -100
    /// NF_IP_PRI_NAT_SRC: where SNAT happens (nft's `srcnat`).
    public static let srcnatPriority: Int32 = 100
}
