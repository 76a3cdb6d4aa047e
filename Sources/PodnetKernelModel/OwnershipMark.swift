/// podnet's mark on what it owns. It is written into the interface alias
/// (IFLA_IFALIAS) of links, and of `lo` for namespaces, so that `diff`, `apply` and
/// `destroy` work from the kernel alone: no state file.
///
/// Text form: `podnet:CLUSTER:ROLE`, e.g. `podnet:lab:pod/a0` — readable in `ip link`
/// (`alias podnet:lab:pod/a0`). The role says what the object is for; only the
/// cluster decides ownership.
public struct OwnershipMark: Hashable, Sendable, Codable, CustomStringConvertible {
    public static let prefix = "podnet:"

    public var cluster: String
    public var role: String

    public init(cluster: String, role: String) {
        self.cluster = cluster
        self.role = role
    }

    /// Parses an alias; nil when it is not podnet's.
    public init?(alias: String) {
        guard alias.hasPrefix(Self.prefix) else { return nil }
        let rest = alias.dropFirst(Self.prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let cluster = String(rest[..<colon])
        guard !cluster.isEmpty else { return nil }
        self.cluster = cluster
        self.role = String(rest[rest.index(after: colon)...])
    }

    public var alias: String { "\(Self.prefix)\(cluster):\(role)" }
    public var description: String { alias }

    public func isOwned(by cluster: String) -> Bool { self.cluster == cluster }
}
