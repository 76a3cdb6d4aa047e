import PodnetAddress
import PodnetKernelModel

/// One change to podnet's iptables in a namespace, in kube-proxy's way of making
/// it: a chain podnet owns is written whole (declared, which creates or flushes it,
/// then filled), or deleted; rules of built-in chains, and of chains whose order does
/// not matter (KUBE-SERVICES), are added and deleted one by one.
public enum IPTablesChange: Hashable, Sendable, CustomStringConvertible {
    case createChain(IPTablesTable, String, rules: [String])
    /// Flushes an existing chain and fills it again.
    case replaceChain(IPTablesTable, String, rules: [String])
    /// Flushes and removes a chain (nothing may jump to it any more).
    case deleteChain(IPTablesTable, String)
    /// Appends a rule to a chain podnet owns whose order does not matter (its
    /// trailing rule, which must come last: see IPTablesRuleset.isTrailing).
    case appendRule(IPTablesTable, chain: String, rule: String)
    /// Inserts one of podnet's jumps at the top of a built-in chain, before the
    /// rules of others (as kube-proxy prepends its jumps); or a rule at the top of a
    /// chain podnet owns whose order does not matter, so that it lands before the
    /// chain's trailing rule.
    case insertRule(IPTablesTable, chain: String, rule: String)
    /// Deletes the first rule equal to `rule`.
    case deleteRule(IPTablesTable, chain: String, rule: String)

    public var table: IPTablesTable {
        switch self {
        case .createChain(let table, _, _), .replaceChain(let table, _, _), .deleteChain(let table, _),
             .appendRule(let table, _, _), .insertRule(let table, _, _), .deleteRule(let table, _, _):
            return table
        }
    }

    /// The chain the change acts on.
    public var chain: String {
        switch self {
        case .createChain(_, let chain, _), .replaceChain(_, let chain, _), .deleteChain(_, let chain),
             .appendRule(_, let chain, _), .insertRule(_, let chain, _), .deleteRule(_, let chain, _):
            return chain
        }
    }

    public var isDeletion: Bool {
        switch self {
        case .deleteChain, .deleteRule: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .createChain(let table, let chain, let rules): return "create \(table) chain \(chain) (\(count(rules.count)))"
        case .replaceChain(let table, let chain, let rules): return "rewrite \(table) chain \(chain) (\(count(rules.count)))"
        case .deleteChain(let table, let chain): return "delete \(table) chain \(chain)"
        case .appendRule(let table, let chain, let rule): return "append to \(table) \(chain): \(rule)"
        case .insertRule(let table, let chain, let rule): return "insert into \(table) \(chain): \(rule)"
        case .deleteRule(let table, let chain, let rule): return "delete from \(table) \(chain): \(rule)"
        }
    }

    private func count(_ rules: Int) -> String { rules == 1 ? "1 rule" : "\(rules) rules" }

    // MARK: As iptables commands

    /// The change as `iptables` (`ip6tables`) commands a student could paste, run
    /// inside `namespace` (iptables has no `-n`: `ip netns exec NS iptables …`). Rules
    /// are in iptables-save's quoting, which a POSIX shell reads the same way.
    public func commands(in namespace: NamespaceRef = .current, family: AddressFamily = .ipv4) -> [String] {
        let iptables: String
        switch namespace {
        case .current: iptables = "\(family.iptablesCommand) -t \(table)"
        case .named(let name): iptables = "ip netns exec \(name) \(family.iptablesCommand) -t \(table)"
        }
        switch self {
        case .createChain(_, let chain, let rules):
            return ["\(iptables) -N \(chain)"] + rules.map { "\(iptables) -A \(chain) \($0)" }
        case .replaceChain(_, let chain, let rules):
            return ["\(iptables) -F \(chain)"] + rules.map { "\(iptables) -A \(chain) \($0)" }
        case .deleteChain(_, let chain):
            return ["\(iptables) -F \(chain)", "\(iptables) -X \(chain)"]
        case .appendRule(_, let chain, let rule):
            return ["\(iptables) -A \(chain) \(rule)"]
        case .insertRule(_, let chain, let rule):
            return ["\(iptables) -I \(chain) \(rule)"]
        case .deleteRule(_, let chain, let rule):
            return ["\(iptables) -D \(chain) \(rule)"]
        }
    }

    /// A list of changes as commands, in order (IPTablesDiff orders them so that each
    /// command finds what it needs: chains exist before anything jumps to them, and
    /// nothing jumps to a chain any more when it is removed).
    public static func commands(for changes: [IPTablesChange], in namespace: NamespaceRef = .current,
                                family: AddressFamily = .ipv4) -> [String] {
        changes.flatMap { $0.commands(in: namespace, family: family) }
    }

    // MARK: As one iptables-restore transaction

    /// The changes of one namespace as ONE `iptables-restore --noflush` input, as
    /// kube-proxy writes it, one section per table (filter, then nat), each committed
    /// atomically by iptables-restore. Within a table: every chain written or deleted
    /// is declared first (`:CHAIN - [0:0]` creates it, or flushes it if it exists),
    /// then come the rule lines in the changes' order (deletions, chain contents,
    /// appended rules, inserted jumps), and last the `-X` of deleted chains, when
    /// nothing jumps to them any more.
    public static func restoreInput(for changes: [IPTablesChange]) -> String {
        var text = ""
        for table in IPTablesTable.allCases {
            var declarations: [String] = []
            var rules: [String] = []
            var removals: [String] = []
            for change in changes where change.table == table {
                switch change {
                case .createChain(_, let chain, let chainRules), .replaceChain(_, let chain, let chainRules):
                    declarations.append(":\(chain) - [0:0]")
                    rules += chainRules.map { "-A \(chain) \($0)" }
                case .deleteChain(_, let chain):
                    declarations.append(":\(chain) - [0:0]")
                    removals.append("-X \(chain)")
                case .appendRule(_, let chain, let rule):
                    rules.append("-A \(chain) \(rule)")
                case .insertRule(_, let chain, let rule):
                    rules.append("-I \(chain) \(rule)")
                case .deleteRule(_, let chain, let rule):
                    rules.append("-D \(chain) \(rule)")
                }
            }
            let lines = declarations + rules + removals
            guard !lines.isEmpty else { continue }
            text += "*\(table)\n"
            for line in lines { text += line + "\n" }
            text += "COMMIT\n"
        }
        return text
    }
}

extension IPTablesChange {
    /// The change made to a ruleset, as iptables-restore makes it in the kernel.
    public func apply(to ruleset: inout IPTablesRuleset) {
        switch self {
        case .createChain(let table, let chain, let rules), .replaceChain(let table, let chain, let rules):
            ruleset.setChain(chain, in: table, rules: rules)
        case .deleteChain(let table, let chain):
            ruleset.removeChain(chain, in: table)
        case .appendRule(let table, let chain, let rule):
            ruleset.appendRule(rule, to: chain, in: table)
        case .insertRule(let table, let chain, let rule):
            if table.isBuiltin(chain) {
                ruleset.addBuiltinRule(rule, to: chain, in: table)
            } else {
                ruleset.appendRule(rule, to: chain, in: table)
            }
        case .deleteRule(let table, let chain, let rule):
            if table.builtinChains.contains(chain) {
                ruleset.removeBuiltinRule(rule, from: chain, in: table)
            } else {
                ruleset.removeRule(rule, from: chain, in: table)
            }
        }
    }
}
