import Glibc
import PodnetAddress

/// An IPv4 address and port, as the socket calls take them.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16

    public init(_ address: IPv4Address, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// 0.0.0.0:port, to listen on every address of a namespace.
    public static func any(port: UInt16) -> SocketAddress { SocketAddress(IPv4Address(0), port: port) }

    public var description: String { "\(address):\(port)" }

    var sockaddr: sockaddr_in {
        var storage = sockaddr_in()
        storage.sin_family = sa_family_t(AF_INET)
        storage.sin_port = port.bigEndian
        storage.sin_addr.s_addr = address.value.bigEndian
        return storage
    }

    init(_ storage: sockaddr_in) {
        address = IPv4Address(UInt32(bigEndian: storage.sin_addr.s_addr))
        port = UInt16(bigEndian: storage.sin_port)
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
        /// receives every ICMP packet arriving in its namespace, IPv4 header included.
        case rawICMP

        var arguments: (type: CInt, protocol: CInt) {
            switch self {
            case .stream: (CInt(SOCK_STREAM.rawValue), CInt(IPPROTO_TCP))
            case .datagram: (CInt(SOCK_DGRAM.rawValue), CInt(IPPROTO_UDP))
            case .rawICMP: (CInt(SOCK_RAW.rawValue), CInt(IPPROTO_ICMP))
            }
        }
    }

    static func socket(_ kind: SocketKind) throws(Errno) -> FileDescriptor {
        let flags = CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        return FileDescriptor(rawValue: try retryingOnInterrupt { Glibc.socket(AF_INET, kind.arguments.type | flags, kind.arguments.protocol) })
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
        var storage = address.sockaddr
        _ = try retryingOnInterrupt {
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd.rawValue, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    static func listen(_ fd: FileDescriptor, backlog: CInt) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.listen(fd.rawValue, backlog) }
    }

    /// The next pending connection; `.wouldBlock` when there is none. The new
    /// socket is blocking (plain accept, which Glibc's module exports).
    /// The accepted connection and the address it came from (after any NAT on the way).
    static func accept(_ fd: FileDescriptor) throws(Errno) -> (FileDescriptor, peer: SocketAddress) {
        var storage = sockaddr_in()
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let accepted = try retryingOnInterrupt {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd.rawValue, $0, &size) }
            }
        }
        return (FileDescriptor(rawValue: accepted), SocketAddress(storage))
    }

    /// Not retried on EINTR: a non-blocking connect does not sleep, and repeating
    /// an interrupted one would report EALREADY. `.inProgress` is the usual answer.
    static func connect(_ fd: FileDescriptor, _ address: SocketAddress) throws(Errno) {
        var storage = address.sockaddr
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd.rawValue, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result == -1 { throw Errno.current }
    }

    /// Sends without waiting and without SIGPIPE.
    static func send(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { Glibc.send(fd.rawValue, bytes.baseAddress, bytes.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT)) }
    }

    static func send(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, to address: SocketAddress) throws(Errno) -> Int {
        var storage = address.sockaddr
        return try retryingOnInterrupt {
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.sendto(fd.rawValue, bytes.baseAddress, bytes.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT),
                                 $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
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
        var storage = sockaddr_in()
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = try retryingOnInterrupt {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.recvfrom(fd.rawValue, buffer.baseAddress, buffer.count, CInt(MSG_DONTWAIT), $0, &size)
                }
            }
        }
        return (count, SocketAddress(storage))
    }
}
