import Glibc

/// An error number from a failed system call, typed so callers can match the
/// few they handle (`.exists`, `.noEntry`) and print the rest as the C library does.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt

    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The calling thread's `errno`, read right after a failed call.
    static var current: Errno { Errno(rawValue: errno) }

    public static let noEntry = Errno(rawValue: ENOENT)
    public static let exists = Errno(rawValue: EEXIST)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let inappropriateIoctl = Errno(rawValue: ENOTTY)

    /// strerror's text ("File exists"); glibc's strerror is thread-safe since 2.32.
    public var description: String { String(cString: strerror(rawValue)) }
}
