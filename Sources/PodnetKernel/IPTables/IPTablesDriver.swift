import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetPlan

/// Which iptables tools run: the machine's choice (`iptables-save`, which Debian's
/// alternatives point at the nft or the legacy backend), or one backend by name.
/// podnet's layout is the same text for both; iptables-save prints it back alike.
public enum IPTablesVariant: String, Hashable, Sendable, CaseIterable {
    case system
    /// `iptables-nft-save` / `iptables-nft-restore`: xtables rules in nf_tables.
    case nft
    /// `iptables-legacy-save` / `iptables-legacy-restore`: the old x_tables interface.
    case legacy

    /// `iptables-save`, `ip6tables-nft-save`, …: each family has its own tools.
    func save(_ family: AddressFamily) -> String { tool("save", family) }
    func restore(_ family: AddressFamily) -> String { tool("restore", family) }

    private func tool(_ verb: String, _ family: AddressFamily) -> String {
        switch self {
        case .system: return "\(family.iptablesCommand)-\(verb)"
        case .nft: return "\(family.iptablesCommand)-nft-\(verb)"
        case .legacy: return "\(family.iptablesCommand)-legacy-\(verb)"
        }
    }
}

/// iptables through its own tools: `iptables-save` to read, `iptables-restore
/// --noflush` to write one transaction per table, as kube-proxy does; for IPv6 the
/// same with `ip6tables-save` and `ip6tables-restore` (`family:`), which take and
/// print the same format. iptables
/// speaks no stable netlink of its own (legacy: a setsockopt blob of the whole
/// table; nft backend: nf_tables with xtables compatibility expressions), so its
/// tools are the interface.
///
/// The tools run inside a namespace by being spawned from a thread that is in it:
/// a NetnsThread's (`in thread:`), or the calling thread when it is a touring thread
/// or host mode's. Nothing here calls setns on the caller. The restore input goes to
/// iptables-restore's stdin (no temporary file to leave behind).
public enum IPTablesDriver {
    // MARK: In a namespace thread

    /// What `iptables-save` prints in the namespace of `thread`.
    public static func save(in thread: NetnsThread, family: AddressFamily = .ipv4,
                            variant: IPTablesVariant = .system) throws(IPTablesError) -> String {
        try collect(variant.save(family), [], input: nil) { command throws(IPTablesError) in
            try spawn(command, from: thread)
        }
    }

    /// Runs `input` as one `iptables-restore --noflush` in the namespace of `thread`.
    public static func restore(_ input: String, in thread: NetnsThread, family: AddressFamily = .ipv4,
                               variant: IPTablesVariant = .system) throws(IPTablesError) {
        _ = try collect(variant.restore(family), ["--noflush", "--wait=10"], input: input) { command throws(IPTablesError) in
            try spawn(command, from: thread)
        }
    }

    /// podnet's part of the iptables of `thread`'s namespace.
    public static func read(in thread: NetnsThread, cluster: String, ownership: IPTablesOwnership = .markedJumps,
                            family: AddressFamily = .ipv4, variant: IPTablesVariant = .system) throws(IPTablesError) -> IPTablesRuleset {
        IPTablesRuleset.parse(iptablesSave: try save(in: thread, family: family, variant: variant), cluster: cluster, ownership: ownership)
    }

    /// What of someone else's stands where podnet would write (see IPTablesDump.conflicts).
    public static func conflicts(in thread: NetnsThread, cluster: String, family: AddressFamily = .ipv4,
                                 variant: IPTablesVariant = .system) throws(IPTablesError) -> [IPTablesConflict] {
        IPTablesDump(iptablesSave: try save(in: thread, family: family, variant: variant)).conflicts(cluster: cluster)
    }

    /// Applies `changes` as one iptables-restore transaction (nothing to do: no process).
    public static func apply(_ changes: [IPTablesChange], in thread: NetnsThread, family: AddressFamily = .ipv4,
                             variant: IPTablesVariant = .system) throws(IPTablesError) {
        guard !changes.isEmpty else { return }
        try restore(IPTablesChange.restoreInput(for: changes), in: thread, family: family, variant: variant)
    }

    // MARK: In the calling thread's namespace

    /// What `iptables-save` prints in the calling thread's namespace.
    public static func save(family: AddressFamily = .ipv4, variant: IPTablesVariant = .system) throws(IPTablesError) -> String {
        try collect(variant.save(family), [], input: nil) { command throws(IPTablesError) in try spawn(command, from: nil) }
    }

    /// Runs `input` as one `iptables-restore --noflush` in the calling thread's namespace.
    public static func restore(_ input: String, family: AddressFamily = .ipv4, variant: IPTablesVariant = .system) throws(IPTablesError) {
        _ = try collect(variant.restore(family), ["--noflush", "--wait=10"], input: input) { command throws(IPTablesError) in
            try spawn(command, from: nil)
        }
    }

    /// Whether this namespace has any iptables state of `family` to read: an
    /// iptables-nft table (`ip nat`/`ip filter` in nf_tables, `ip6 …` for IPv6,
    /// which `nftables` is asked about by name) or a legacy one
    /// (/proc/thread-self/net/ip_tables_names, ip6_tables_names).
    static func hasTables(family: AddressFamily = .ipv4, nftables: (String) throws -> Bool) rethrows -> Bool {
        if try nftables("nat") || nftables("filter") { return true }
        let file = family == .ipv4 ? "ip_tables_names" : "ip6_tables_names"
        let names = (try? SmallFile.read("/proc/thread-self/net/\(file)")) ?? []
        return !names.isEmpty
    }

    /// podnet's chains and built-in rules of `family` in the calling thread's
    /// namespace, as KernelState holds them. A named namespace is a lab node,
    /// podnet's whole; the current one (host mode) is someone's host, where only
    /// chains behind podnet's marked jumps are taken (a kube-proxy's are never podnet's).
    static func read(namespace: NamespaceRef, cluster: String, family: AddressFamily = .ipv4) throws
        -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        let ownership: IPTablesOwnership = namespace == .current ? .markedJumps : .wholeNamespace
        let ruleset = IPTablesRuleset.parse(iptablesSave: try save(family: family), cluster: cluster, ownership: ownership)
        return (ruleset.chains(in: namespace, family: family), ruleset.rules(in: namespace, family: family))
    }

    // MARK: Running the tools

    /// Where a tool is: Debian puts iptables in /usr/sbin, which a user's PATH may lack.
    static func path(of tool: String) throws(IPTablesError) -> String {
        for directory in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] where Syscall.exists("\(directory)/\(tool)") {
            return "\(directory)/\(tool)"
        }
        throw IPTablesError(reason: "\(tool) is not installed (Debian package iptables)")
    }

    /// Spawns from `thread` (inside its namespace), or from the calling thread.
    private static func spawn(_ command: (Command, [UInt8]?), from thread: NetnsThread?) throws(IPTablesError) -> Subprocess {
        do {
            guard let thread else { return try Subprocess.spawn(command.0, capturing: true, input: command.1) }
            return try thread.run { try Subprocess.spawn(command.0, capturing: true, input: command.1) }
        } catch let error as CommandError {
            if case .notFound(let program) = error {
                throw IPTablesError(reason: "\(program) is not installed (Debian package iptables)")
            }
            throw IPTablesError(reason: "\(error)")
        } catch {
            throw IPTablesError(reason: "cannot run \(command.0.arguments[0]): \(error)")
        }
    }

    /// Runs a tool to its end (spawned by `spawn`, read and reaped on this thread) and
    /// returns its output, or throws its complaint, with the input line it names.
    private static func collect(_ tool: String, _ arguments: [String], input: String?,
                                spawn: ((Command, [UInt8]?)) throws(IPTablesError) -> Subprocess) throws(IPTablesError) -> String {
        let command = Command([try path(of: tool)] + arguments)
        let output: CommandOutput
        do {
            output = try spawn((command, input.map { Array($0.utf8) })).collect()
        } catch let error as IPTablesError {
            throw error
        } catch {
            throw IPTablesError(reason: "\(tool): \(error)")
        }
        guard output.status == .exited(0) else {
            throw IPTablesError(tool: tool, status: output.status, message: output.standardErrorText, input: input)
        }
        return output.standardOutputText
    }
}

/// iptables refused, or could not be run. For iptables-restore, the input line it
/// blamed is quoted: "iptables-restore: line 7 failed" alone says little.
public struct IPTablesError: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    /// The number and text of the input line iptables-restore named, if it named one.
    public var lineNumber: Int?
    public var line: String?

    public init(reason: String, lineNumber: Int? = nil, line: String? = nil) {
        self.reason = reason
        self.lineNumber = lineNumber
        self.line = line
    }

    init(tool: String, status: ExitStatus, message: String, input: String?) {
        let trimmed = String(message.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        let complaint = trimmed.isEmpty ? "\(tool) failed (\(status))" : trimmed
        guard let input, let number = Self.lineNumber(in: trimmed) else {
            self.init(reason: complaint)
            return
        }
        let lines = input.split(separator: "\n", omittingEmptySubsequences: false)
        guard number >= 1, number <= lines.count else {
            self.init(reason: complaint, lineNumber: number)
            return
        }
        let text = String(lines[number - 1])
        var reason = "\(complaint)\n  line \(number): \(text)"
        if text == "COMMIT", let table = lines[..<(number - 1)].last(where: { $0.hasPrefix("*") }) {
            // iptables-nft finds some errors only when it commits the table's batch.
            reason += " (the failing rule is in the \(table.dropFirst()) table's section)"
        }
        self.init(reason: reason, lineNumber: number, line: text)
    }

    /// The number iptables-restore gives after the word "line": "line 7 failed",
    /// "line 2: CHAIN_DEL failed", "Error occurred at line: 4".
    static func lineNumber(in message: String) -> Int? {
        let words = message.split(whereSeparator: \.isWhitespace)
        for (index, word) in words.enumerated().dropLast() where word == "line" || word == "line:" {
            if let number = Int(words[index + 1].prefix { $0.isASCII && $0.isNumber }) { return number }
        }
        return nil
    }

    public var description: String { reason }
}
