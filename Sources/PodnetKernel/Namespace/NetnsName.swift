/// The name of a named network namespace: a file name under /run/netns, checked the
/// way `ip netns` checks it (non-empty, no '/', not '.' or '..', at most NAME_MAX
/// bytes) plus no NUL byte, which a C path cannot carry.
public struct NetnsName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// NAME_MAX: the longest file name Linux accepts.
    public static let maximumLength = 255

    public init(_ text: String) throws(NetnsError) {
        if let reason = Self.problem(with: text) { throw .invalidName(text, reason) }
        rawValue = text
    }

    /// Why `text` cannot name a namespace, or nil when it can.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "a namespace name cannot be empty" }
        if text.utf8.contains(0) { return "a namespace name cannot contain a NUL byte" }
        if text.contains("/") { return "a namespace name cannot contain '/'" }
        if text == "." || text == ".." { return "'\(text)' names a directory, not a namespace" }
        if text.utf8.count > maximumLength {
            return "a namespace name can have at most \(maximumLength) bytes, this one has \(text.utf8.count)"
        }
        return nil
    }

    public var description: String { rawValue }

    public static func < (lhs: NetnsName, rhs: NetnsName) -> Bool { lhs.rawValue < rhs.rawValue }
}
