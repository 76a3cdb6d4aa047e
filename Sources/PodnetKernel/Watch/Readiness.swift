import Glibc

/// Descriptors to wait on together (epoll): the thread sleeps in the kernel until one
/// is readable or the timeout passes, using no processor meanwhile. A wake costs the
/// same for three descriptors as for the two per namespace of a 221-namespace lab,
/// which poll(2) would hand to the kernel and scan again at every wake.
public final class Readiness {
    private let epoll: FileDescriptor

    public init() throws(Errno) {
        epoll = try Syscall.epollCreate()
    }

    deinit { Syscall.close(epoll) }

    /// Watches `fd` for reading. Closing it stops the watch by itself.
    public func add(_ fd: FileDescriptor) throws(Errno) {
        try Syscall.epollAdd(epoll, fd)
    }

    /// Stops watching `fd` (before it is closed, so that its number can be added again
    /// for another descriptor while an earlier copy of it is still open elsewhere).
    public func remove(_ fd: FileDescriptor) {
        try? Syscall.epollRemove(epoll, fd)
    }

    /// The watched descriptors that are readable (or hung up, or in error: reading
    /// them says which), once one is or after `timeout` seconds (nil: never).
    public func wait(timeout seconds: Double?) throws(Errno) -> [FileDescriptor] {
        let milliseconds: CInt = seconds.map { CInt(clamping: Int(($0 * 1000).rounded(.up))) } ?? -1
        return try Syscall.epollWait(epoll, timeoutMilliseconds: milliseconds)
    }

    /// One wait on `descriptors` alone (tests, one-off waits).
    public static func wait(for descriptors: [FileDescriptor], timeout seconds: Double?) throws(Errno) -> Set<FileDescriptor> {
        let readiness = try Readiness()
        for fd in descriptors { try readiness.add(fd) }
        return Set(try readiness.wait(timeout: seconds))
    }
}
