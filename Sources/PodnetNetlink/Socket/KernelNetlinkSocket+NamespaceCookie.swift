import Glibc

extension KernelNetlinkSocket {
    /// The cookie of the network namespace the socket was opened in (SO_NETNS_COOKIE,
    /// Linux 5.14): unlike the namespace's inode number, never given to another
    /// namespace until the machine restarts.
    public func namespaceCookie() throws(SystemCallError) -> UInt64 {
        var cookie: UInt64 = 0
        var length = socklen_t(MemoryLayout<UInt64>.size)
        guard getsockopt(fileDescriptor, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &length) == 0 else {
            throw SystemCallError.current("getsockopt(SO_NETNS_COOKIE)")
        }
        return cookie
    }
}
