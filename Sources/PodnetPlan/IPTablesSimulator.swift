import PodnetKernelModel

/// iptables without a kernel, strict where iptables is: applies an
/// `iptables-restore --noflush` input or a list of `iptables` commands to a dump
/// of a namespace's tables, and fails where iptables would (a chain created twice,
/// a jump to a chain that does not exist, a rule to delete that is not there, a
/// chain removed while it has rules or something jumps to it). The diff's tests run
/// its output through it: applied to live, it must give desired, and leave
/// everything not podnet's as it was.
public enum IPTablesSimulator {
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var text: String
        public var reason: String
        public var description: String { "line \(line) (\(text)): \(reason)" }
    }

    /// Targets that are extensions, not chains.
    static let extensionTargets: Set<String> = [
        "ACCEPT", "DROP", "RETURN", "REJECT", "DNAT", "SNAT", "MASQUERADE", "MARK", "LOG", "CONNMARK", "REDIRECT",
    ]

    /// Applies iptables-restore input with `--noflush` semantics. Each table's section
    /// is all or nothing; a failing section throws (the caller keeps the old dump, as
    /// a failed transaction leaves the kernel unchanged for that table).
    public static func restore(_ input: String, onto dump: IPTablesDump) throws(Failure) -> IPTablesDump {
        var dump = dump
        var table: IPTablesDump.Table?
        for (index, line) in input.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let text = String(line)
            func fail(_ reason: String) -> Failure { Failure(line: number, text: text, reason: reason) }
            if text.isEmpty || text.hasPrefix("#") { continue }
            if text.hasPrefix("*") {
                guard table == nil else { throw fail("a table starts before COMMIT") }
                let name = String(text.dropFirst())
                table = dump[name] ?? emptyTable(name)
            } else if text == "COMMIT" {
                guard let done = table else { throw fail("COMMIT outside a table") }
                dump[done.name] = done
                table = nil
            } else {
                guard table != nil else { throw fail("a line outside a table") }
                if text.hasPrefix(":") {
                    let fields = text.dropFirst().split(separator: " ")
                    guard let name = fields.first.map(String.init) else { throw fail("a chain line without a name") }
                    if let chain = table![name], chain.policy != nil {
                        if fields.count > 1 { table![name]!.policy = String(fields[1]) }
                    } else {
                        table![name] = IPTablesDump.Chain(name: name, policy: nil)  // created, or flushed
                    }
                } else {
                    let words = text.split(separator: " ", maxSplits: 2).map(String.init)
                    try execute(words, in: &table!, line: number, text: text)
                }
            }
        }
        if table != nil { throw Failure(line: 0, text: "", reason: "no COMMIT at the end") }
        return dump
    }

    /// Runs `iptables -t TABLE …` (or `ip6tables -t TABLE …`: the dump is one
    /// family's) command lines (optionally prefixed by `ip netns exec NAME`), one by
    /// one; each takes effect at once.
    public static func run(_ commands: [String], onto dump: IPTablesDump) throws(Failure) -> IPTablesDump {
        var dump = dump
        for (index, command) in commands.enumerated() {
            var rest = Substring(command)
            if rest.hasPrefix("ip netns exec ") {
                rest = rest.dropFirst("ip netns exec ".count)
                rest = rest.drop { $0 != " " }.dropFirst()
            }
            guard let tool = ["iptables -t ", "ip6tables -t "].first(where: rest.hasPrefix) else {
                throw Failure(line: index + 1, text: command, reason: "not an iptables -t command")
            }
            rest = rest.dropFirst(tool.count)
            let name = String(rest.prefix { $0 != " " })
            var table = dump[name] ?? emptyTable(name)
            let words = rest.dropFirst(name.count + 1).split(separator: " ", maxSplits: 2).map(String.init)
            if words.first == "-N" {
                guard words.count == 2 else { throw Failure(line: index + 1, text: command, reason: "-N takes a chain") }
                guard table[words[1]] == nil else { throw Failure(line: index + 1, text: command, reason: "Chain already exists") }
                table[words[1]] = IPTablesDump.Chain(name: words[1], policy: nil)
            } else {
                try execute(words, in: &table, line: index + 1, text: command)
            }
            dump[name] = table
        }
        return dump
    }

    private static func emptyTable(_ name: String) -> IPTablesDump.Table {
        var table = IPTablesDump.Table(name: name)
        for chain in IPTablesTable(rawValue: name)?.builtinChains ?? [] {
            table[chain] = IPTablesDump.Chain(name: chain, policy: "ACCEPT")
        }
        return table
    }

    /// `-A/-I/-D/-F/-X CHAIN [rule]` on one table.
    private static func execute(_ words: [String], in table: inout IPTablesDump.Table, line: Int, text: String) throws(Failure) {
        func fail(_ reason: String) -> Failure { Failure(line: line, text: text, reason: reason) }
        guard words.count >= 2, let chain = table[words[1]] else {
            throw fail(words.count >= 2 ? "No chain/target/match by that name (\(words[1]))" : "an operation without a chain")
        }
        let rule = words.count > 2 ? words[2] : ""
        func checkTarget() throws(Failure) {
            guard let target = IPTablesRuleText.target(of: rule) else { return }
            if !extensionTargets.contains(target) && table[target] == nil {
                throw fail("Chain '\(target)' does not exist")
            }
        }
        switch words[0] {
        case "-A":
            try checkTarget()
            table.append(rule, to: chain.name)
        case "-I":
            try checkTarget()
            var changed = chain
            if let position = Int(rule.prefix { $0 != " " }) {
                let spec = String(rule.drop { $0 != " " }.dropFirst())
                guard position >= 1, position <= changed.rules.count + 1 else { throw fail("Index of insertion too big") }
                changed.rules.insert(spec, at: position - 1)
            } else {
                changed.rules.insert(rule, at: 0)
            }
            table[chain.name] = changed
        case "-D":
            guard let index = chain.rules.firstIndex(of: rule) else {
                throw fail("Bad rule (does a matching rule exist in that chain?)")
            }
            var changed = chain
            changed.rules.remove(at: index)
            table[chain.name] = changed
        case "-F":
            guard words.count == 2 else { throw fail("-F takes only a chain") }
            var changed = chain
            changed.rules = []
            table[chain.name] = changed
        case "-X":
            guard words.count == 2 else { throw fail("-X takes only a chain") }
            guard chain.policy == nil else { throw fail("Can't delete built-in chain") }
            guard chain.rules.isEmpty else { throw fail("Directory not empty (the chain has rules)") }
            let referenced = table.orderedChains.contains { other in
                other.rules.contains { IPTablesRuleText.target(of: $0) == chain.name }
            }
            guard !referenced else { throw fail("Device or resource busy (something jumps to the chain)") }
            table[chain.name] = nil
        default:
            throw fail("unknown operation \(words[0])")
        }
    }
}
