import PodnetAddress

/// podnet's part of the iptables of one namespace (proxy mode `iptables`): per
/// table, the chains podnet owns whole, and the rules it adds to built-in chains.
/// Rules are kept as `iptables-save` prints them after `-A CHAIN ` (see
/// IPTablesRuleText), so a rendered ruleset and one read back compare equal.
///
/// Ownership, which `IPTablesDump.ruleset(ownedBy:…)` applies when reading:
/// - a rule in a built-in chain is podnet's when its comment is `podnet:CLUSTER …`;
///   every other rule there (a user's, Docker's, kube-proxy's) is left alone;
/// - the chains named like kube-proxy's (`KUBE-…`) and podnet's own (`PODNET-…`) are
///   podnet's whole: in a namespace podnet owns (a lab node) always, elsewhere (host
///   mode) only in a table where podnet's marked jumps lead to them.
///
/// Order: the rules of a chain are kept in order, except where order cannot matter
/// and podnet edits rule by rule rather than rewriting (`unorderedChains`, and
/// podnet's rules in built-in chains): those are kept sorted, so that the same rules
/// compare equal however they were added.
public struct IPTablesRuleset: Hashable, Sendable, Codable {
    public struct Table: Hashable, Sendable, Codable {
        /// The chains podnet owns: name → rules, in order.
        public fileprivate(set) var chains: [String: [String]] = [:]
        /// podnet's rules in built-in chains: chain → rules, sorted.
        public fileprivate(set) var builtinRules: [String: [String]] = [:]

        public init() {}

        public var isEmpty: Bool { chains.isEmpty && builtinRules.isEmpty }
        public var ruleCount: Int { chains.values.reduce(0) { $0 + $1.count } + builtinRules.values.reduce(0) { $0 + $1.count } }
    }

    public private(set) var filter = Table()
    public private(set) var nat = Table()

    public init() {}

    /// Chains whose rules match disjoint packets (one ClusterIP, external IP or
    /// NodePort, protocol and port each) or all reject or drop, so their order is
    /// irrelevant, but for a trailing rule (`isTrailing`): a changed service is one
    /// rule deleted and one added there, as kube-proxy's chains are not rewritten
    /// whole for one service.
    public static let unorderedChains: Set<String> = ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-EXTERNAL-SERVICES"]

    /// kube-proxy's words for the one rule of a chain that must come after all others
    /// (its jump to KUBE-NODEPORTS, which matches every local address): a comment
    /// that ends in them marks a catch-all of an unordered chain.
    public static let lastRuleNote = "NOTE: this must be the last rule in this chain"

    /// Whether a rule of an unordered chain must stay after the others: kept last
    /// in the model, appended in the kernel while the others are inserted before it.
    public static func isTrailing(_ rule: String) -> Bool {
        rule.contains(lastRuleNote) && (IPTablesRuleText.comment(of: rule)?.hasSuffix(lastRuleNote) ?? false)
    }

    /// The order of an unordered chain: by text, trailing rules last.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let (lhsLast, rhsLast) = (isTrailing(lhs), isTrailing(rhs))
        return lhsLast == rhsLast ? lhs < rhs : rhsLast
    }

    /// The names of the chains podnet may own: kube-proxy's and its own.
    public static func isOwnableChain(_ name: String) -> Bool { name.hasPrefix("KUBE-") || name.hasPrefix("PODNET-") }

    /// The comment that marks podnet's rules in built-in chains: `podnet:CLUSTER`,
    /// then a space and what the rule is for (`podnet:lab service portals`).
    public static func mark(cluster: String) -> String { "podnet:\(cluster)" }

    /// Whether a rule's comment is the mark of `cluster`.
    public static func isMarked(comment: String, cluster: String) -> Bool {
        let mark = mark(cluster: cluster)
        return comment == mark || comment.hasPrefix(mark + " ")
    }

    public subscript(table: IPTablesTable) -> Table {
        table == .nat ? nat : filter
    }

    /// Edits one table in place: through a get/set subscript, every edit would copy
    /// the table's dictionaries (11,000 chains for 1,000 services of 10 endpoints).
    private mutating func edit<T>(_ table: IPTablesTable, _ body: (inout Table) -> T) -> T {
        switch table {
        case .nat: return body(&nat)
        case .filter: return body(&filter)
        }
    }

    public var isEmpty: Bool { filter.isEmpty && nat.isEmpty }
    public var ruleCount: Int { filter.ruleCount + nat.ruleCount }
    public var chainCount: Int { filter.chains.count + nat.chains.count }

    // MARK: Building

    /// Sets the rules of a chain podnet owns (created when new).
    public mutating func setChain(_ name: String, in table: IPTablesTable, rules: [String]) {
        edit(table) { $0.chains[name] = Self.unorderedChains.contains(name) ? rules.sorted(by: Self.precedes) : rules }
    }

    public mutating func removeChain(_ name: String, in table: IPTablesTable) {
        edit(table) { $0.chains[name] = nil }
    }

    /// Adds one of podnet's rules to a built-in chain.
    public mutating func addBuiltinRule(_ rule: String, to chain: String, in table: IPTablesTable) {
        edit(table) { Self.insertSorted(rule, into: &$0.builtinRules[chain, default: []], by: <) }
    }

    /// Removes one of podnet's rules (one copy, if it is there twice) from a built-in chain.
    public mutating func removeBuiltinRule(_ rule: String, from chain: String, in table: IPTablesTable) {
        edit(table) { table in
            guard let index = table.builtinRules[chain]?.firstIndex(of: rule) else { return }
            table.builtinRules[chain]!.remove(at: index)
            if table.builtinRules[chain]!.isEmpty { table.builtinRules[chain] = nil }
        }
    }

    /// Adds a rule to an unordered chain podnet owns, keeping it sorted; to an ordered one, appends.
    public mutating func appendRule(_ rule: String, to chain: String, in table: IPTablesTable) {
        edit(table) { table in
            if Self.unorderedChains.contains(chain) {
                Self.insertSorted(rule, into: &table.chains[chain, default: []], by: Self.precedes)
            } else {
                table.chains[chain, default: []].append(rule)
            }
        }
    }

    /// Removes the first copy of a rule from a chain podnet owns.
    public mutating func removeRule(_ rule: String, from chain: String, in table: IPTablesTable) {
        edit(table) { table in
            guard let index = table.chains[chain]?.firstIndex(of: rule) else { return }
            table.chains[chain]!.remove(at: index)
        }
    }

    private static func insertSorted(_ rule: String, into rules: inout [String], by precedes: (String, String) -> Bool) {
        rules.insert(rule, at: rules.firstIndex { precedes(rule, $0) } ?? rules.endIndex)
    }

    /// Every chain podnet owns as (table, name, rules), tables in iptables-save order, chains by name.
    public var allChains: [(table: IPTablesTable, name: String, rules: [String])] {
        IPTablesTable.allCases.flatMap { table in
            self[table].chains.keys.sorted().map { (table, $0, self[table].chains[$0]!) }
        }
    }

    /// Every rule podnet adds to built-in chains as (table, chain, rule).
    public var allBuiltinRules: [(table: IPTablesTable, chain: String, rule: String)] {
        IPTablesTable.allCases.flatMap { table in
            table.builtinChains.flatMap { chain in (self[table].builtinRules[chain] ?? []).map { (table, chain, $0) } }
        }
    }
}

// MARK: The kernel state's form

extension IPTablesRuleset {
    /// The ruleset made of KernelState's chains and built-in rules of one namespace
    /// and family (those of other tables than nat and filter are ignored).
    public init(chains: some Sequence<IPTablesChain>, rules: some Sequence<IPTablesRule>) {
        self.init()
        for chain in chains {
            guard let table = IPTablesTable(rawValue: chain.id.table) else { continue }
            setChain(chain.id.name, in: table, rules: chain.rules)
        }
        for rule in rules {
            guard let table = IPTablesTable(rawValue: rule.table) else { continue }
            addBuiltinRule(rule.spec, to: rule.chain, in: table)
        }
    }

    /// The chains as KernelState holds them, for `namespace` and `family`.
    public func chains(in namespace: NamespaceRef, family: AddressFamily = .ipv4) -> [IPTablesChain] {
        allChains.map {
            IPTablesChain(id: .init(namespace: namespace, family: family, table: $0.table.rawValue, name: $0.name), rules: $0.rules)
        }
    }

    /// podnet's rules in built-in chains as KernelState holds them, for `namespace` and `family`.
    public func rules(in namespace: NamespaceRef, family: AddressFamily = .ipv4) -> [IPTablesRule] {
        allBuiltinRules.map {
            IPTablesRule(namespace: namespace, family: family, table: $0.table.rawValue, chain: $0.chain, spec: $0.rule)
        }
    }
}

/// Where an iptables ruleset lives: one namespace's tables of one family, each
/// written by its own tool (iptables-restore, ip6tables-restore).
public struct IPTablesScope: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: NamespaceRef
    public var family: AddressFamily

    public init(namespace: NamespaceRef, family: AddressFamily = .ipv4) {
        self.namespace = namespace
        self.family = family
    }

    public static func < (lhs: IPTablesScope, rhs: IPTablesScope) -> Bool {
        (lhs.namespace, lhs.family) < (rhs.namespace, rhs.family)
    }

    public var description: String { "\(family.iptablesCommand) in \(namespace)" }
}

extension KernelState {
    /// Every namespace and family that holds podnet's iptables chains or rules.
    public var iptablesScopes: Set<IPTablesScope> {
        Set(iptablesChains.keys.map { IPTablesScope(namespace: $0.namespace, family: $0.family) })
            .union(iptablesRules.map { IPTablesScope(namespace: $0.namespace, family: $0.family) })
    }

    /// podnet's iptables of one namespace and family as a ruleset.
    public func iptablesRuleset(in scope: IPTablesScope) -> IPTablesRuleset {
        IPTablesRuleset(chains: iptablesChains.values.filter { $0.id.namespace == scope.namespace && $0.id.family == scope.family },
                        rules: iptablesRules.filter { $0.namespace == scope.namespace && $0.family == scope.family })
    }

    /// Puts `ruleset` in the place of podnet's iptables of one namespace and family.
    public mutating func setIPTablesRuleset(_ ruleset: IPTablesRuleset, in scope: IPTablesScope) {
        iptablesChains = iptablesChains.filter { $0.key.namespace != scope.namespace || $0.key.family != scope.family }
        iptablesRules = iptablesRules.filter { $0.namespace != scope.namespace || $0.family != scope.family }
        for chain in ruleset.chains(in: scope.namespace, family: scope.family) { insert(chain) }
        for rule in ruleset.rules(in: scope.namespace, family: scope.family) { insert(rule) }
    }
}
