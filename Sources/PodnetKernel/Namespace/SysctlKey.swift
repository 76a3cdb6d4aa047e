/// A network sysctl such as `net.ipv4.ip_forward`, naming a file under /proc/sys/net.
///
/// Only `net.*` keys are accepted: those are the per-namespace ones. Any other sysctl
/// (kernel.*, vm.*) is global, and writing it "inside a pod" would change the host.
/// Like sysctl(8), a key may use '/' as separator, for interface names that contain
/// dots: `net/ipv4/conf/eth0.100/rp_filter`.
public struct SysctlKey: Hashable, Sendable, CustomStringConvertible {
    public let components: [String]

    public init(_ text: String) throws(SysctlError) {
        let separator: Character = text.contains("/") ? "/" : "."
        let components = text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard components.count >= 2, components[0] == "net" else {
            throw .invalidKey(text, "only network sysctls (net.…) belong to a namespace")
        }
        for component in components {
            if component.isEmpty { throw .invalidKey(text, "empty component") }
            if component == "." || component == ".." { throw .invalidKey(text, "'\(component)' is not a sysctl name") }
            if component.utf8.contains(0) { throw .invalidKey(text, "contains a NUL byte") }
        }
        self.components = components
    }

    public var path: String { "/proc/sys/" + components.joined(separator: "/") }

    /// Dotted when no component has a dot, as sysctl(8) prints it; otherwise slashed.
    public var description: String {
        components.contains { $0.contains(".") } ? components.joined(separator: "/") : components.joined(separator: ".")
    }
}

public enum SysctlError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidKey(String, String)
    /// No such file in this namespace: a typo, a module not loaded, or an interface
    /// (net.ipv4.conf.IFNAME.…) that does not exist here.
    case unknownKey(SysctlKey)
    case invalidValue(SysctlKey, String)
    case system(String, Errno)

    public var description: String {
        switch self {
        case .invalidKey(let text, let reason): "invalid sysctl key \"\(text)\": \(reason)"
        case .unknownKey(let key): "no sysctl \(key) in this network namespace"
        case .invalidValue(let key, let value): "the kernel refused \(key) = \"\(value)\""
        case .system(let action, let errno): "\(action): \(errno)"
        }
    }
}
