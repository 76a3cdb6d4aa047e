import Glibc

/// Which network namespace a file or thread refers to: the nsfs device and inode,
/// the pair `ip netns identify` and `lsns` compare. Two names under /run/netns that
/// bind the same namespace have the same identity.
public struct NetnsIdentity: Hashable, Sendable, CustomStringConvertible {
    public let device: UInt64
    public let inode: UInt64

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// The namespace of the file or /proc link at `path`.
    public init(path: String) throws(NetnsError) {
        do {
            self.init(try Syscall.stat(path))
        } catch {
            throw .system("cannot stat \(path)", error)
        }
    }

    /// The namespace the calling thread is in right now.
    public static func ofCallingThread() throws(NetnsError) -> NetnsIdentity {
        try NetnsIdentity(path: "/proc/thread-self/ns/net")
    }

    /// The namespace of this process's main thread: podnet's home, which it never leaves.
    public static func ofProcess() throws(NetnsError) -> NetnsIdentity {
        try NetnsIdentity(path: "/proc/self/ns/net")
    }

    /// As `ip netns list-id` or `ls -l /proc/self/ns/net` print it.
    public var description: String { "net:[\(inode)]" }
}
