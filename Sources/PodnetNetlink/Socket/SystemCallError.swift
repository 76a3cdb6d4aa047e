import Glibc

/// A failed system call: which call, and the errno it left, with the C library's
/// text for it.
public struct SystemCallError: Error, Equatable, Sendable {
    public var call: String
    public var code: Int32

    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// Captures the current errno.
    static func current(_ call: String) -> SystemCallError {
        SystemCallError(call: call, code: errno)
    }
}

extension SystemCallError: CustomStringConvertible {
    public var description: String {
        "\(call): \(String(cString: strerror(code)))"
    }
}
