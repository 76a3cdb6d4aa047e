import Glibc
import PodnetAddress
import Synchronization

/// TCP or UDP, as a probe or listener speaks it.
public enum ProbeProtocol: String, Hashable, Sendable {
    case tcp = "TCP"
    case udp = "UDP"
}

/// Short-lived servers inside pod namespaces that answer every TCP connection with
/// a line of text (the pod's name) and close it, and every UDP datagram with that
/// line; a client connecting through a service learns which endpoint it reached.
/// A listener that tells the source appends the address the connection came from
/// as the listener saw it ("a0 192.168.64.4"): after a proxy's masquerade, the
/// node's, not the client's.
///
/// The sockets are opened inside their namespaces by a touring thread and served
/// by one thread of this process from the process's own namespace (a socket stays
/// in the namespace it was born in). Nothing is left in the kernel when they stop,
/// or when the process dies however it dies: they are only sockets of this process.
public final class AnsweringListeners: Sendable {
    public struct Spec: Hashable, Sendable {
        public var port: UInt16
        public var `protocol`: ProbeProtocol
        /// Sent as one line ("a0\n") to every client.
        public var answer: String
        /// Whether the line also carries the client's address as seen here ("a0 10.200.0.1\n").
        public var tellsSource: Bool
        /// The family listened in: one socket per family, an IPv6 one with
        /// IPV6_V6ONLY, rather than one `::` socket taking IPv4 as mapped addresses:
        /// an IPv4-only cluster's listeners stay what they were (whatever a pod's
        /// IPv6 setting), a source is told in its own family ("10.200.0.1", not
        /// "::ffff:10.200.0.1"), and a server taking the port in one family only is
        /// found in that family.
        public var family: AddressFamily

        public init(port: UInt16, protocol: ProbeProtocol, answer: String, tellsSource: Bool = false, family: AddressFamily = .ipv4) {
            self.port = port
            self.protocol = `protocol`
            self.answer = answer
            self.tellsSource = tellsSource
            self.family = family
        }
    }

    private struct Listening: Sendable {
        let socket: FileDescriptor
        let `protocol`: ProbeProtocol
        /// The answer without its newline.
        let answer: [UInt8]
        let tellsSource: Bool

        func line(to peer: SocketAddress) -> [UInt8] {
            tellsSource ? answer + Array(" \(peer.address)\n".utf8) : answer + [UInt8(ascii: "\n")]
        }
    }

    private let listening: [Listening]
    private let wake: (read: FileDescriptor, write: FileDescriptor)
    private let server: JoinableThread
    private let stopped = Mutex(false)

    /// Opens every listener (in `namespace` for each group), then starts serving.
    /// Throws without leaving any socket open when one cannot be opened; a port
    /// already taken by another server is `.portInUse`.
    public init(_ groups: [(namespace: NetnsHandle, specs: [Spec])]) throws(ListenerError) {
        var listening: [Listening] = []
        var opened = false
        defer { if !opened { for listener in listening { Syscall.close(listener.socket) } } }
        // One visit per namespace; NamespaceTour passes the handle, so specs are looked up by position.
        let specs = groups.map(\.specs)
        let handles = groups.map(\.namespace)
        let positions = Dictionary(handles.enumerated().map { (ObjectIdentifier($1), $0) }, uniquingKeysWith: { first, _ in first })
        let visits: [Result<[Result<Listening, ListenerError>], any Error>]
        do {
            visits = try NamespaceTour.visit(handles) { handle in
                specs[positions[ObjectIdentifier(handle)]!].map { spec in
                    Result { () throws(ListenerError) in try Self.open(spec, in: handle) }
                }
            }
        } catch {
            throw .system("cannot start a thread to open listeners", (error as? Errno) ?? Errno(rawValue: EIO))
        }
        var firstError: ListenerError?
        for visit in visits {
            switch visit {
            case .success(let results):
                for result in results {
                    switch result {
                    case .success(let listener): listening.append(listener)
                    case .failure(let error): firstError = firstError ?? error
                    }
                }
            case .failure(let error):
                firstError = firstError ?? ((error as? ListenerError) ?? .system("cannot enter a namespace", (error as? Errno) ?? Errno(rawValue: EIO)))
            }
        }
        if let firstError { throw firstError }

        do {
            wake = try Syscall.pipe()
        } catch {
            throw .system("cannot create a pipe", error)
        }
        let served = listening
        let wakeRead = wake.read
        do {
            server = try JoinableThread(name: "podnet answer") { Self.serve(served, until: wakeRead) }
        } catch {
            Syscall.close(wake.read)
            Syscall.close(wake.write)
            throw .system("cannot start the listeners' thread", error)
        }
        self.listening = listening
        opened = true
    }

    /// Stops serving and closes every socket; waits until the server thread is gone.
    /// Idempotent; also done when the object is released.
    public func stop() {
        stopped.withLock { stopped in
            if stopped { return }
            stopped = true
            _ = [UInt8(1)].withUnsafeBytes { try? Syscall.write(wake.write, $0) }
            server.join()
            for listener in listening { Syscall.close(listener.socket) }
            Syscall.close(wake.read)
            Syscall.close(wake.write)
        }
    }

    deinit { stop() }

    public var count: Int { listening.count }

    /// Runs on the touring thread, inside the namespace.
    private static func open(_ spec: Spec, in namespace: NetnsHandle) throws(ListenerError) -> Listening {
        let kind: Syscall.SocketKind = spec.protocol == .tcp ? .stream : .datagram
        let socket: FileDescriptor
        do {
            socket = try Syscall.socket(kind, family: spec.family)
        } catch {
            throw .system("cannot open a \(spec.family.name) \(spec.protocol.rawValue) socket in \(namespace.path)", error)
        }
        do throws(Errno) {
            // TCP: a previous check's connections in TIME_WAIT must not block the port.
            // Another listening server still does (Linux refuses two listeners).
            if spec.protocol == .tcp { try Syscall.setOption(socket, level: SOL_SOCKET, name: SO_REUSEADDR, CInt(1)) }
            // IPv6 only: the IPv4 side has its own socket on the same port (Spec.family).
            if spec.family == .ipv6 { try Syscall.setOption(socket, level: CInt(IPPROTO_IPV6), name: IPV6_V6ONLY, CInt(1)) }
            try Syscall.bind(socket, .any(port: spec.port, family: spec.family))
            if spec.protocol == .tcp { try Syscall.listen(socket, backlog: 4096) }
        } catch {
            Syscall.close(socket)
            if error == .addressInUse { throw .portInUse(namespace: namespace.path, port: spec.port, protocol: spec.protocol) }
            throw .system("cannot listen on \(spec.protocol.rawValue) port \(spec.port) in \(namespace.path)", error)
        }
        return Listening(socket: socket, protocol: spec.protocol, answer: Array(spec.answer.utf8), tellsSource: spec.tellsSource)
    }

    /// The server thread: answers whatever is ready until the wake pipe is written.
    private static func serve(_ listening: [Listening], until wake: FileDescriptor) {
        var polled = listening.map { pollfd(fd: $0.socket.rawValue, events: Int16(POLLIN), revents: 0) }
        polled.append(pollfd(fd: wake.rawValue, events: Int16(POLLIN), revents: 0))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            for index in polled.indices { polled[index].revents = 0 }
            guard (try? Syscall.poll(&polled, timeoutMilliseconds: -1)) != nil else { continue }
            if polled[listening.count].revents != 0 { return }
            for (index, listener) in listening.enumerated() where polled[index].revents != 0 {
                answer(listener, buffer)
            }
        }
    }

    private static func answer(_ listener: Listening, _ buffer: UnsafeMutableRawBufferPointer) {
        switch listener.protocol {
        case .tcp:
            while let (client, peer) = try? Syscall.accept(listener.socket) {
                // Corked, the answer waits in the socket until close, which then
                // sends it and the FIN in one segment.
                try? Syscall.setOption(client, level: CInt(IPPROTO_TCP), name: TCP_CORK, CInt(1))
                _ = try? Syscall.send(client, listener.line(to: peer))
                Syscall.close(client)
            }
        case .udp:
            while let (_, sender) = try? Syscall.receiveFrom(listener.socket, into: buffer) {
                _ = try? Syscall.send(listener.socket, listener.line(to: sender), to: sender)
            }
        }
    }
}

public enum ListenerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Another server already listens there; podnet never takes a port from one.
    case portInUse(namespace: String, port: UInt16, protocol: ProbeProtocol)
    case system(String, Errno)

    public var description: String {
        switch self {
        case .portInUse(let namespace, let port, let proto):
            "\(proto.rawValue) port \(port) is already in use in \(namespace): another server listens there"
        case .system(let action, let errno):
            "\(action): \(errno)"
        }
    }
}
