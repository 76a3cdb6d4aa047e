import Glibc

extension Syscall {
    /// A connected pair of Unix stream sockets, close-on-exec from birth (a child
    /// spawned concurrently cannot inherit them). One end becomes a child's stdin,
    /// written with send(MSG_NOSIGNAL), which a pipe's write cannot do.
    static func socketPair() throws(Errno) -> (ours: FileDescriptor, child: FileDescriptor) {
        var fds: [CInt] = [-1, -1]
        let type = CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        _ = try retryingOnInterrupt { Glibc.socketpair(AF_UNIX, type, 0, &fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }
}
