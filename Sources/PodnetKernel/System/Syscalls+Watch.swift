import CPodnetSystem
import Glibc

extension Syscall {
    // MARK: inotify

    static func inotifyInit() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retryingOnInterrupt { inotify_init1(CInt(IN_CLOEXEC | IN_NONBLOCK)) })
    }

    static func inotifyAddWatch(_ fd: FileDescriptor, _ path: String, mask: UInt32) throws(Errno) -> CInt {
        try retryingOnInterrupt { inotify_add_watch(fd.rawValue, path, mask) }
    }

    // MARK: Signals

    /// SIGTERM, SIGINT and SIGHUP blocked in the calling thread and read from a
    /// descriptor instead (signalfd): no handler runs, nothing is interrupted.
    static func terminationSignalDescriptor() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retryingOnInterrupt { podnet_termination_signalfd() })
    }

    /// The next pending signal's number, or nil when none is.
    static func readSignal(_ fd: FileDescriptor) throws(Errno) -> CInt? {
        while true {
            let signal = podnet_signalfd_read(fd.rawValue)
            if signal >= 0 { return signal }
            let error = Errno.current
            if error == .interrupted { continue }
            if error.rawValue == EAGAIN { return nil }
            throw error
        }
    }
}

extension Syscall {
    // MARK: epoll

    static func epollCreate() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retryingOnInterrupt { podnet_epoll_create() })
    }

    static func epollAdd(_ epoll: FileDescriptor, _ fd: FileDescriptor) throws(Errno) {
        _ = try retryingOnInterrupt { podnet_epoll_add(epoll.rawValue, fd.rawValue) }
    }

    static func epollRemove(_ epoll: FileDescriptor, _ fd: FileDescriptor) throws(Errno) {
        _ = try retryingOnInterrupt { podnet_epoll_remove(epoll.rawValue, fd.rawValue) }
    }

    /// Up to 64 ready descriptors; EINTR is retried with the same timeout (a signal
    /// podnet watches comes through its signalfd, not as an interruption).
    static func epollWait(_ epoll: FileDescriptor, timeoutMilliseconds: CInt) throws(Errno) -> [FileDescriptor] {
        var ready = [CInt](repeating: -1, count: 64)
        let count = try retryingOnInterrupt { podnet_epoll_wait(epoll.rawValue, &ready, CInt(ready.count), timeoutMilliseconds) }
        return ready.prefix(Int(count)).map(FileDescriptor.init(rawValue:))
    }
}
