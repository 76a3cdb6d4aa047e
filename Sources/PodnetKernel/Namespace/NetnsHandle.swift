import Glibc

/// An open network namespace: the descriptor that setns enters, that veth creation
/// passes as IFLA_NET_NS_FD, and that keeps the namespace alive while open (even if
/// its name is deleted). Closed when the handle is released; keep the handle alive
/// (`withExtendedLifetime`) while a raw `fileDescriptor` is in use.
public final class NetnsHandle: Sendable, CustomStringConvertible {
    public let path: String
    public let fileDescriptor: FileDescriptor
    public let identity: NetnsIdentity

    /// Opens `/run/netns/NAME`, `/proc/PID/ns/net` or any bind mount of a network
    /// namespace, and checks that it is one.
    public init(path: String) throws(NetnsError) {
        let fd: FileDescriptor
        do {
            fd = try Syscall.open(path, O_RDONLY | O_CLOEXEC)
        } catch {
            throw .system("cannot open \(path)", error)
        }
        let type: CInt
        do {
            type = try Syscall.namespaceType(fd)
            identity = NetnsIdentity(try Syscall.fstat(fd))
        } catch {
            Syscall.close(fd)
            // NS_GET_NSTYPE on an ordinary file: the name exists but nothing is mounted on it.
            if error == .inappropriateIoctl { throw .notANetworkNamespace(path: path) }
            throw .system("cannot inspect \(path)", error)
        }
        guard type == Syscall.cloneNewNet else {
            Syscall.close(fd)
            throw .notANetworkNamespace(path: path)
        }
        self.path = path
        fileDescriptor = fd
    }

    /// This process's own namespace (its main thread's), where podnet lives.
    public static func process() throws(NetnsError) -> NetnsHandle {
        try NetnsHandle(path: "/proc/self/ns/net")
    }

    deinit { Syscall.close(fileDescriptor) }

    public func isSame(as other: NetnsHandle) -> Bool { identity == other.identity }

    public var description: String { "\(path) (\(identity))" }
}
