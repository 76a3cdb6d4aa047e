import CMNL
import Glibc

extension KernelNetlinkSocket {
    /// Joins `group` (NETLINK_ADD_MEMBERSHIP): the kernel then copies every
    /// notification of the group, in the socket's namespace, into its receive queue.
    public func join(_ group: NetlinkMulticastGroup) throws(SystemCallError) {
        precondition(group.bus == bus, "\(group) is not a group of this socket's bus")
        var number = group.number
        guard setsockopt(fileDescriptor, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &number,
                         socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
            throw .current("setsockopt(NETLINK_ADD_MEMBERSHIP, \(group))")
        }
    }

    /// What a receive that must not wait found.
    public enum Arrival: Equatable, Sendable {
        /// One datagram, of this many bytes, copied into the buffer.
        case datagram(Int)
        /// The queue is empty.
        case nothing
        /// The queue overflowed and the kernel dropped notifications (ENOBUFS): which
        /// ones is unknown, so anything may have changed.
        case overrun
    }

    /// Takes the next queued datagram without blocking (MSG_DONTWAIT).
    public func receiveIfQueued(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Arrival {
        while true {
            let received = recv(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if received >= 0 { return .datagram(received) }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .nothing
            case ENOBUFS: return .overrun
            default: throw .current("recv(netlink)")
            }
        }
    }
}
