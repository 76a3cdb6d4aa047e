import Glibc
import PodnetKernelModel

/// iptables through its own tools, run inside the namespace by the calling thread
/// (which must be in it): `iptables-save` to read, `iptables-restore --noflush` to
/// write one transaction, as kube-proxy does. iptables speaks no stable netlink of
/// its own (legacy: a setsockopt blob; nft backend: nf_tables with xtables
/// compatibility expressions), so its tools are the interface.
enum IPTablesDriver {
    static let save = ["/usr/sbin/iptables-save", "/sbin/iptables-save"]
    static let restore = ["/usr/sbin/iptables-restore", "/sbin/iptables-restore"]

    static func tool(_ candidates: [String]) throws -> String {
        guard let path = candidates.first(where: { Syscall.exists($0) }) else {
            throw IPTablesError(reason: "\(candidates[0].split(separator: "/").last!) is not installed (Debian package iptables)")
        }
        return path
    }

    /// Whether this namespace has any iptables state to read: an iptables-nft table
    /// (`ip nat`/`ip filter` in nf_tables) or a legacy one (/proc/thread-self/net/ip_tables_names).
    static func hasTables(nftables: (String) throws -> Bool) rethrows -> Bool {
        if try nftables("nat") || nftables("filter") { return true }
        let names = (try? SmallFile.read("/proc/thread-self/net/ip_tables_names")) ?? []
        return !names.isEmpty
    }

    static func read(namespace: NamespaceRef, cluster: String) throws -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        let output = try Subprocess.spawn(Command([try tool(save)]), capturing: true).collect()
        guard output.status == .exited(0) else {
            throw IPTablesError(reason: "iptables-save: \(output.standardErrorText)")
        }
        return IPTablesSave.parse(output.standardOutputText, namespace: namespace, cluster: cluster)
    }

    /// Runs `script` as one iptables-restore --noflush transaction.
    static func apply(_ script: String) throws {
        let path = "/run/podnet/restore-\(getpid())-\(Syscall.gettid()).txt"
        try? Syscall.mkdir("/run/podnet", mode: 0o755)
        let fd = try Syscall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
        defer { try? Syscall.unlink(path) }
        do {
            defer { Syscall.close(fd) }
            let bytes = Array(script.utf8)
            var written = 0
            while written < bytes.count {
                written += try bytes[written...].withUnsafeBytes { try Syscall.write(fd, $0) }
            }
        }
        let output = try Subprocess.spawn(Command([try tool(restore), "--noflush", "--wait=10", path]), capturing: true).collect()
        guard output.status == .exited(0) else {
            throw IPTablesError(reason: Self.failure(output.standardErrorText, script: script))
        }
    }

    /// iptables-restore names the failing line by number: quote it.
    static func failure(_ message: String, script: String) -> String {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        let trimmed = String(message.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        // "iptables-restore: line 7 failed": the number after the word "line".
        let words = trimmed.split(separator: " ")
        guard let at = words.firstIndex(of: "line"), at + 1 < words.count,
              let number = Int(words[at + 1].prefix { $0.isNumber }), number >= 1, number <= lines.count else {
            return trimmed
        }
        return "\(trimmed)\n  line \(number): \(lines[number - 1])"
    }
}

public struct IPTablesError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
