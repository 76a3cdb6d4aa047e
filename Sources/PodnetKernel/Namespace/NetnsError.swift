/// What can go wrong with a named network namespace, worded for the person who ran
/// podnet. System failures keep their errno and say what podnet was doing.
public enum NetnsError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidName(String, String)
    case alreadyExists(NetnsName)
    case notFound(NetnsName)
    /// The file exists under /run/netns but no network namespace is mounted on it:
    /// typically left behind by a crash between creating the file and the bind mount.
    case notANetworkNamespace(path: String)
    case threadClosed
    case system(String, Errno)

    public var description: String {
        switch self {
        case .invalidName(let text, let reason):
            "invalid network namespace name \"\(text)\": \(reason)"
        case .alreadyExists(let name):
            "network namespace \"\(name)\" already exists"
        case .notFound(let name):
            "network namespace \"\(name)\" does not exist"
        case .notANetworkNamespace(let path):
            "\(path) is not a network namespace (a file left over from an interrupted `ip netns add`? remove it with `ip netns del`)"
        case .threadClosed:
            "the namespace thread was already closed"
        case .system(let action, let errno):
            "\(action): \(errno)"
        }
    }
}
