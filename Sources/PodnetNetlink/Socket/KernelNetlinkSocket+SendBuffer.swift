import Glibc

extension KernelNetlinkSocket {
    /// Grows the socket's send buffer to hold a datagram of `size` bytes (an
    /// nf_tables transaction is one datagram). SO_SNDBUFFORCE passes wmem_max but
    /// needs CAP_NET_ADMIN, which writing nf_tables needs anyway.
    public func reserveSendBuffer(_ size: Int) throws(SystemCallError) {
        var current: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fileDescriptor, SOL_SOCKET, SO_SNDBUF, &current, &length) == 0, Int(current) >= size { return }
        // The kernel doubles what it is given (room for its own bookkeeping).
        var value = Int32(clamping: size)
        guard setsockopt(fileDescriptor, SOL_SOCKET, SO_SNDBUFFORCE, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
           || setsockopt(fileDescriptor, SOL_SOCKET, SO_SNDBUF, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemCallError.current("setsockopt(SO_SNDBUF)")
        }
    }
}
