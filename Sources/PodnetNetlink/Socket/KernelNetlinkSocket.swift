import CMNL
import Glibc

/// A netlink socket to the kernel, through libmnl. It belongs to the network
/// namespace of the thread that created it, for its whole life, whichever thread uses
/// it later: that is how podnet talks to many namespaces without moving threads.
///
/// Safe to hand between threads (its state is an immutable descriptor), but one
/// `NetlinkConnection` must own it: two readers would take each other's replies.
public final class KernelNetlinkSocket: NetlinkSocket, @unchecked Sendable {
    private let handle: OpaquePointer
    public let portID: UInt32
    public let bus: NetlinkBus

    /// Socket receive queue size asked for. Pipelined batches queue one ACK per
    /// request (hundreds of skbs, each costing far more than its 36 bytes), and a
    /// full queue drops replies (ENOBUFS), so the default is generous.
    public static let defaultReceiveQueueSize = 4 << 20

    /// Opens and binds a socket with extended ACKs (the kernel's error text),
    /// capped ACKs (errors do not echo the whole request back) and, where the bus has
    /// it, strict checking of dump requests (the kernel filters dumps by header fields
    /// and rejects malformed requests instead of ignoring them).
    ///
    /// - Parameter receiveQueueSize: nil keeps the kernel's default queue (see `forDumps`).
    public init(
        bus: NetlinkBus = .route,
        receiveQueueSize: Int? = KernelNetlinkSocket.defaultReceiveQueueSize,
        strictChecking: Bool = true
    ) throws(SystemCallError) {
        guard let handle = mnl_socket_open2(bus.rawValue, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw .current("socket(AF_NETLINK)")
        }
        guard mnl_socket_bind(handle, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let error = SystemCallError.current("bind(AF_NETLINK)")
            mnl_socket_close(handle)
            throw error
        }
        self.handle = handle
        self.bus = bus
        portID = mnl_socket_get_portid(handle)

        // From here on `self` exists, and deinit closes the socket if we throw.
        try setNetlinkOption(NETLINK_EXT_ACK, name: "NETLINK_EXT_ACK")
        try setNetlinkOption(NETLINK_CAP_ACK, name: "NETLINK_CAP_ACK")
        if strictChecking {
            // Kernels before 4.20 lack it; they simply do not filter.
            do throws(SystemCallError) {
                try setNetlinkOption(NETLINK_GET_STRICT_CHK, name: "NETLINK_GET_STRICT_CHK")
            } catch where error.code == ENOPROTOOPT {}
        }
        if let receiveQueueSize { try setReceiveQueueSize(receiveQueueSize) }
    }

    /// A socket that only reads dumps (the live-state reader opens one per namespace,
    /// hundreds per apply). The kernel's default receive queue suffices: it makes a
    /// dump's next part only once the last is read. One system call fewer each.
    public static func forDumps(bus: NetlinkBus = .route) throws(SystemCallError) -> KernelNetlinkSocket {
        try KernelNetlinkSocket(bus: bus, receiveQueueSize: nil)
    }

    deinit {
        mnl_socket_close(handle)
    }

    public var fileDescriptor: Int32 { mnl_socket_get_fd(handle) }

    private func setNetlinkOption(_ option: Int32, name: String) throws(SystemCallError) {
        var on: Int32 = 1
        guard mnl_socket_setsockopt(handle, option, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .current("setsockopt(\(name))")
        }
    }

    /// SO_RCVBUFFORCE passes rmem_max but needs CAP_NET_ADMIN; SO_RCVBUF is the
    /// unprivileged fallback, silently capped by net.core.rmem_max.
    private func setReceiveQueueSize(_ size: Int) throws(SystemCallError) {
        var value = Int32(clamping: size)
        let length = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVBUFFORCE, &value, length) == 0 { return }
        guard setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVBUF, &value, length) == 0 else {
            throw .current("setsockopt(SO_RCVBUF)")
        }
    }

    public func send(_ datagram: UnsafeRawBufferPointer) throws(SystemCallError) {
        guard let base = datagram.baseAddress else { return }
        while true {
            let sent = mnl_socket_sendto(handle, base, datagram.count)
            if sent >= 0 { return }
            if errno == EINTR { continue }
            throw .current("sendto(netlink)")
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        while true {
            let received = mnl_socket_recvfrom(handle, base, buffer.count)
            if received >= 0 { return received }
            if errno == EINTR { continue }
            // libmnl reports a datagram larger than the buffer (MSG_TRUNC) as ENOSPC.
            throw .current(errno == ENOSPC ? "recvfrom(netlink): datagram larger than the receive buffer"
                                           : "recvfrom(netlink)")
        }
    }
}
