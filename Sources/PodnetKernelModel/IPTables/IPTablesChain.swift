/// A chain podnet owns in an iptables table of one namespace (iptables proxy mode,
/// kube-proxy's layout: KUBE-SERVICES, KUBE-SVC-…, KUBE-SEP-…), with its rules in
/// the canonical form `iptables-save` prints after `-A CHAIN `, so that rendered and
/// read-back rules compare equal as text.
public struct IPTablesChain: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
        public var namespace: NamespaceRef
        /// `nat` or `filter`.
        public var table: String
        public var name: String

        public init(namespace: NamespaceRef, table: String, name: String) {
            self.namespace = namespace
            self.table = table
            self.name = name
        }

        public static func < (lhs: ID, rhs: ID) -> Bool {
            (lhs.namespace, lhs.table, lhs.name) < (rhs.namespace, rhs.table, rhs.name)
        }

        public var description: String { "\(table) \(name) in \(namespace)" }
    }

    public var id: ID
    public var rules: [String]

    public init(id: ID, rules: [String]) {
        self.id = id
        self.rules = rules
    }
}

/// A rule podnet adds to a built-in chain (PREROUTING, OUTPUT, POSTROUTING, INPUT,
/// FORWARD) to enter its own chains. It carries the comment `podnet:CLUSTER …`, by
/// which podnet knows it; every other rule of a built-in chain is someone else's.
public struct IPTablesRule: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var namespace: NamespaceRef
    public var table: String
    public var chain: String
    /// The rule after `-A CHAIN `, as iptables-save prints it.
    public var spec: String

    public init(namespace: NamespaceRef, table: String, chain: String, spec: String) {
        self.namespace = namespace
        self.table = table
        self.chain = chain
        self.spec = spec
    }

    public static func < (lhs: IPTablesRule, rhs: IPTablesRule) -> Bool {
        (lhs.namespace, lhs.table, lhs.chain, lhs.spec) < (rhs.namespace, rhs.table, rhs.chain, rhs.spec)
    }

    public var description: String { "\(table) \(chain): \(spec)" }

    /// The comment that marks podnet's rules in built-in chains.
    public static func mark(cluster: String) -> String { "podnet:\(cluster)" }
}
