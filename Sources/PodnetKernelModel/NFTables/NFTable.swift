/// An nf_tables table: the unit podnet owns in nftables mode. One table per
/// cluster (`podnet-CLUSTER`, family ip) in every node namespace; its name is its
/// ownership mark, and everything inside belongs to it.
///
/// Chains and sets are kept by name; anonymous sets (the `{ 0 : goto a, … }` of a
/// rule) are not listed here but live inside the rule that uses them, as nft shows them.
public struct NFTable: Hashable, Sendable, Codable, Identifiable {
    public struct ID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
        public var namespace: NamespaceRef
        public var family: NFTFamily
        public var name: String

        public init(namespace: NamespaceRef, family: NFTFamily = .ip, name: String) {
            self.namespace = namespace
            self.family = family
            self.name = name
        }

        public static func < (lhs: ID, rhs: ID) -> Bool {
            (lhs.namespace, lhs.family.rawValue, lhs.name) < (rhs.namespace, rhs.family.rawValue, rhs.name)
        }

        /// "ip podnet-lab in lab.node-0".
        public var description: String { "\(family) \(name) in \(namespace)" }
    }

    public var id: ID
    /// The table's comment (nft's table userdata), shown by `nft list table`.
    public var comment: String?
    public var chains: [String: NFTChain]
    public var sets: [String: NFTSet]

    public init(id: ID, comment: String? = nil, chains: [NFTChain] = [], sets: [NFTSet] = []) {
        self.id = id
        self.comment = comment
        self.chains = Dictionary(chains.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.sets = Dictionary(sets.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    public mutating func insert(_ chain: NFTChain) { chains[chain.name] = chain }
    public mutating func insert(_ set: NFTSet) { sets[set.name] = set }

    /// The table podnet owns for `cluster`.
    public static func podnetName(cluster: String) -> String { "podnet-\(cluster)" }

    /// The cluster whose table this is, from its name; nil for a table podnet does not own.
    public static func cluster(ownerOf name: String) -> String? {
        guard name.hasPrefix("podnet-"), name.count > "podnet-".count else { return nil }
        return String(name.dropFirst("podnet-".count))
    }

    /// Chain names in a stable order: base chains first (as nft lists hooks), then by name.
    public var chainNames: [String] {
        chains.values.sorted(by: Self.listsBefore).map(\.name)
    }

    /// The order of `chainNames`.
    public static func listsBefore(_ a: NFTChain, _ b: NFTChain) -> Bool {
        if (a.base != nil) != (b.base != nil) { return a.base != nil }
        return a.name < b.name
    }
}

/// An nf_tables address family (NFPROTO_*), as `nft` names it.
public enum NFTFamily: UInt8, Hashable, Sendable, Codable, CustomStringConvertible {
    case inet = 1
    case ip = 2
    case arp = 3
    case netdev = 5
    case bridge = 7
    case ip6 = 10

    public var description: String {
        switch self {
        case .inet: return "inet"
        case .ip: return "ip"
        case .arp: return "arp"
        case .netdev: return "netdev"
        case .bridge: return "bridge"
        case .ip6: return "ip6"
        }
    }
}
