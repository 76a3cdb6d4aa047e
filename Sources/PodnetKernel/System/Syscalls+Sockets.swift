import Glibc
import PodnetAddress

/// An address of either family and a port, as the socket calls take them
/// (`sockaddr_in` or `sockaddr_in6`).
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(_ address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public init(_ address: IPv4Address, port: UInt16) {
        self.init(.v4(address), port: port)
    }

    /// 0.0.0.0:port or [::]:port, to listen on every address of a namespace in `family`.
    public static func any(port: UInt16, family: AddressFamily = .ipv4) -> SocketAddress {
        SocketAddress(family == .ipv4 ? .v4(IPv4Address(0)) : .v6(.unspecified), port: port)
    }

    public var family: AddressFamily { address.family }

    /// `10.0.0.1:80`, `[fd00::1]:80` (the brackets of RFC 3986 and Go's JoinHostPort).
    public var description: String {
        switch address {
        case .v4(let address): "\(address):\(port)"
        case .v6(let address): "[\(address)]:\(port)"
        }
    }

    /// Calls `body` with the address as a `sockaddr` of its family and its length.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch address {
        case .v4(let address):
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = port.bigEndian
            storage.sin_addr.s_addr = address.value.bigEndian
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let address):
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage.sin6_addr) { $0.copyBytes(from: address.bytes) }
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// The address a call filled in (`accept`, `recvfrom`); nil for another family.
    init?(_ storage: sockaddr_storage) {
        var storage = storage
        switch CInt(storage.ss_family) {
        case AF_INET:
            let inet = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in.self) }
            self.init(IPv4Address(UInt32(bigEndian: inet.sin_addr.s_addr)), port: UInt16(bigEndian: inet.sin_port))
        case AF_INET6:
            let inet6 = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: inet6.sin6_addr) { Array($0) }
            self.init(.v6(IPv6Address(bytes: bytes)!), port: UInt16(bigEndian: inet6.sin6_port))
        default:
            return nil
        }
    }
}

extension Errno {
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let noBufferSpace = Errno(rawValue: ENOBUFS)
}

/// The socket calls the connectivity probes make. Every socket is non-blocking and
/// close-on-exec from birth; a socket belongs to the network namespace of the
/// thread that created it, wherever it is used afterwards.
extension Syscall {
    enum SocketKind {
        case stream, datagram
        /// A raw ICMP socket (CAP_NET_RAW): sends ICMP messages as written, and
        /// receives every ICMP packet arriving in its namespace. IPv4: the packets
        /// with their IPv4 header. IPv6 (ICMPv6): the messages without their header
        /// (the sender comes from recvfrom), and the kernel fills in the checksum,
        /// which covers a pseudo-header of addresses only it knows (RFC 3542 §3.1).
        case rawICMP

        func arguments(_ family: AddressFamily) -> (type: CInt, protocol: CInt) {
            switch self {
            case .stream: (CInt(SOCK_STREAM.rawValue), CInt(IPPROTO_TCP))
            case .datagram: (CInt(SOCK_DGRAM.rawValue), CInt(IPPROTO_UDP))
            case .rawICMP: (CInt(SOCK_RAW.rawValue), family == .ipv4 ? CInt(IPPROTO_ICMP) : CInt(IPPROTO_ICMPV6))
            }
        }
    }

    static func socket(_ kind: SocketKind, family: AddressFamily = .ipv4) throws(Errno) -> FileDescriptor {
        let flags = CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        let arguments = kind.arguments(family)
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        return FileDescriptor(rawValue: try retryingOnInterrupt { Glibc.socket(domain, arguments.type | flags, arguments.protocol) })
    }

    static func setOption(_ fd: FileDescriptor, level: CInt, name: CInt, _ value: some BitwiseCopyable) throws(Errno) {
        var value = value
        let size = socklen_t(MemoryLayout.size(ofValue: value))
        _ = try retryingOnInterrupt { setsockopt(fd.rawValue, level, name, &value, size) }
    }

    /// The error a non-blocking connect ended with (SO_ERROR), or nil when it connected.
    static func pendingError(_ fd: FileDescriptor) throws(Errno) -> Errno? {
        var value: CInt = 0
        var size = socklen_t(MemoryLayout<CInt>.size)
        _ = try retryingOnInterrupt { getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &value, &size) }
        return value == 0 ? nil : Errno(rawValue: value)
    }

    static func bind(_ fd: FileDescriptor, _ address: SocketAddress) throws(Errno) {
        _ = try retryingOnInterrupt { address.withSockaddr { Glibc.bind(fd.rawValue, $0, $1) } }
    }

    static func listen(_ fd: FileDescriptor, backlog: CInt) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.listen(fd.rawValue, backlog) }
    }

    /// The next pending connection; `.wouldBlock` when there is none. The new
    /// socket is blocking (plain accept, which Glibc's module exports).
    /// The accepted connection and the address it came from (after any NAT on the way).
    static func accept(_ fd: FileDescriptor) throws(Errno) -> (FileDescriptor, peer: SocketAddress) {
        var storage = sockaddr_storage()
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let accepted = try retryingOnInterrupt {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd.rawValue, $0, &size) }
            }
        }
        // The listener's own family: the kernel gives nothing else.
        return (FileDescriptor(rawValue: accepted), SocketAddress(storage) ?? .any(port: 0))
    }

    /// Not retried on EINTR: a non-blocking connect does not sleep, and repeating
    /// an interrupted one would report EALREADY. `.inProgress` is the usual answer.
    static func connect(_ fd: FileDescriptor, _ address: SocketAddress) throws(Errno) {
        let result = address.withSockaddr { Glibc.connect(fd.rawValue, $0, $1) }
        if result == -1 { throw Errno.current }
    }

    /// Sends without waiting and without SIGPIPE.
    static func send(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { Glibc.send(fd.rawValue, bytes.baseAddress, bytes.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT)) }
    }

    static func send(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, to address: SocketAddress) throws(Errno) -> Int {
        try retryingOnInterrupt {
            address.withSockaddr {
                Glibc.sendto(fd.rawValue, bytes.baseAddress, bytes.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT), $0, $1)
            }
        }
    }

    // withUnsafeBytes is untyped-rethrows, so the typed error travels in a Result.
    static func send(_ fd: FileDescriptor, _ bytes: [UInt8]) throws(Errno) -> Int {
        try bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try send(fd, buffer) } }.get()
    }

    static func send(_ fd: FileDescriptor, _ bytes: [UInt8], to address: SocketAddress) throws(Errno) -> Int {
        try bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try send(fd, buffer, to: address) } }.get()
    }

    static func receive(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { Glibc.recv(fd.rawValue, buffer.baseAddress, buffer.count, CInt(MSG_DONTWAIT)) }
    }

    /// A datagram and who sent it.
    static func receiveFrom(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> (count: Int, sender: SocketAddress) {
        var storage = sockaddr_storage()
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = try retryingOnInterrupt {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.recvfrom(fd.rawValue, buffer.baseAddress, buffer.count, CInt(MSG_DONTWAIT), $0, &size)
                }
            }
        }
        return (count, SocketAddress(storage) ?? .any(port: 0))
    }
}
