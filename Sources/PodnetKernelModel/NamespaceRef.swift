/// Which network namespace an object lives in: a named one (`ip netns` style,
/// `/run/netns/NAME`), or the one podnet runs in (host mode).
public enum NamespaceRef: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    case current
    case named(String)

    public var description: String {
        switch self {
        case .current: return "(current)"
        case .named(let name): return name
        }
    }

    /// The `ip -n NAME` prefix a student would type, empty for the current namespace.
    public var ipOption: String {
        switch self {
        case .current: return ""
        case .named(let name): return "-n \(name) "
        }
    }

    /// The `ip netns exec NAME ` prefix that runs another tool (nft, ipvsadm, sysctl)
    /// there, empty for the current namespace.
    public var execPrefix: String {
        switch self {
        case .current: return ""
        case .named(let name): return "ip netns exec \(name) "
        }
    }

    public static func < (lhs: NamespaceRef, rhs: NamespaceRef) -> Bool {
        switch (lhs, rhs) {
        case (.current, .named): return true
        case (.named, .current), (.current, .current): return false
        case (.named(let a), .named(let b)): return a < b
        }
    }
}
