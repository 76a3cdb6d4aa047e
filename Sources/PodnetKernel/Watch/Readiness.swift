import Glibc

/// Waiting on many descriptors at once (poll): the thread sleeps in the kernel until
/// one is readable or the timeout passes, using no processor meanwhile.
public enum Readiness {
    /// The descriptors of `descriptors` that are readable (or hung up, or in error:
    /// reading them says which), once one is or after `timeout` seconds (nil: never).
    public static func wait(for descriptors: [FileDescriptor], timeout seconds: Double?) throws(Errno) -> Set<FileDescriptor> {
        var fds = descriptors.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        let milliseconds: CInt = seconds.map { CInt(clamping: Int(($0 * 1000).rounded(.up))) } ?? -1
        guard try Syscall.poll(&fds, timeoutMilliseconds: max(milliseconds, -1)) > 0 else { return [] }
        return Set(fds.filter { $0.revents != 0 }.map { FileDescriptor(rawValue: $0.fd) })
    }
}
