import PodnetAddress

/// A chain podnet owns in an iptables table of one namespace and family (iptables
/// proxy mode, kube-proxy's layout: KUBE-SERVICES, KUBE-SVC-…, KUBE-SEP-…), with its
/// rules in the canonical form `iptables-save` (`ip6tables-save`) prints after
/// `-A CHAIN `, so that rendered and read-back rules compare equal as text.
///
/// The family is part of the identity: IPv4's and IPv6's tables are separate in the
/// kernel (ip_tables and ip6_tables; nf_tables families `ip` and `ip6`), each with
/// its own `nat KUBE-SERVICES`, as kube-proxy runs one proxier per family.
public struct IPTablesChain: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
        public var namespace: NamespaceRef
        /// IPv4 (iptables) or IPv6 (ip6tables).
        public var family: AddressFamily
        /// `nat` or `filter`.
        public var table: String
        public var name: String

        public init(namespace: NamespaceRef, family: AddressFamily = .ipv4, table: String, name: String) {
            self.namespace = namespace
            self.family = family
            self.table = table
            self.name = name
        }

        public static func < (lhs: ID, rhs: ID) -> Bool {
            (lhs.namespace, lhs.family, lhs.table, lhs.name) < (rhs.namespace, rhs.family, rhs.table, rhs.name)
        }

        /// `nat KUBE-SERVICES in NS`; IPv6's chains say so (`ip6 nat …`), IPv4's as always.
        public var description: String { "\(family.iptablesPrefix)\(table) \(name) in \(namespace)" }
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
    /// IPv4 (iptables) or IPv6 (ip6tables): see IPTablesChain.ID.
    public var family: AddressFamily
    public var table: String
    public var chain: String
    /// The rule after `-A CHAIN `, as iptables-save prints it.
    public var spec: String

    public init(namespace: NamespaceRef, family: AddressFamily = .ipv4, table: String, chain: String, spec: String) {
        self.namespace = namespace
        self.family = family
        self.table = table
        self.chain = chain
        self.spec = spec
    }

    public static func < (lhs: IPTablesRule, rhs: IPTablesRule) -> Bool {
        (lhs.namespace, lhs.family, lhs.table, lhs.chain, lhs.spec) < (rhs.namespace, rhs.family, rhs.table, rhs.chain, rhs.spec)
    }

    public var description: String { "\(family.iptablesPrefix)\(table) \(chain): \(spec)" }

    /// The comment that marks podnet's rules in built-in chains.
    public static func mark(cluster: String) -> String { "podnet:\(cluster)" }
}
