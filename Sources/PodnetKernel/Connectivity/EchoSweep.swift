import Glibc
import PodnetAddress
import Synchronization

/// Pings every destination from inside every source namespace, in-process: one raw
/// socket per source and family of the destinations (ICMP for IPv4, ICMPv6 for
/// IPv6), opened inside its namespace, every echo request sent at
/// once and the replies collected as they come, the sources split over a few
/// threads. No `ping` process per pair: a 200-pod matrix is 40,000 pairs.
///
/// Unanswered destinations are asked again a few times within the timeout (a burst
/// can overflow a neighbour queue while ARP resolves), and an ICMP error about one
/// of our requests (net or host unreachable) settles that pair at once.
///
/// The caller's thread never changes namespace: worker threads enter each source
/// namespace once, to open its socket there, and end when the sweep does.
public struct EchoSweep: Sendable {
    public var destinations: [IPAddress]
    /// How long a destination is given to answer, counted from the first request.
    public var timeout: Duration
    /// How many times an unanswered destination is asked again within `timeout`.
    public var resends: Int
    /// Worker threads; each serves a share of the sources.
    public var threads: Int

    public init(destinations: [IPAddress], timeout: Duration = .seconds(1), resends: Int = 3, threads: Int = 2) {
        self.destinations = destinations
        self.timeout = timeout
        self.resends = resends
        self.threads = threads
    }

    /// For each source in order: an outcome per destination, or why the source
    /// could not send (its namespace could not be entered, no raw socket).
    public func run(from sources: [NetnsHandle]) -> [Result<[EchoOutcome], EchoSourceError>] {
        guard !sources.isEmpty else { return [] }
        let workers = max(1, min(threads, sources.count))
        let results = Mutex<[Int: Result<[EchoOutcome], EchoSourceError>]>([:])
        let identifier = UInt16.random(in: 1...UInt16.max)
        let cookie = UInt64.random(in: 0...UInt64.max)
        let requests = destinations.enumerated().map { index, destination in
            EchoPacket.request(family: destination.family, identifier: identifier, cookie: cookie, index: UInt32(index))
        }
        let plan = EchoWorker.Plan(destinations: destinations, requests: requests, identifier: identifier, cookie: cookie,
                                   timeout: timeout, resends: max(0, resends))
        var threads: [JoinableThread] = []
        for worker in 0..<workers {
            let share = Array(stride(from: worker, to: sources.count, by: workers)).map { ($0, sources[$0]) }
            do {
                threads.append(try JoinableThread(name: "podnet echo \(worker)") {
                    let outcomes = EchoWorker(plan: plan).run(share)
                    results.withLock { $0.merge(outcomes) { $1 } }
                })
            } catch {
                results.withLock { all in
                    for (index, _) in share { all[index] = .failure(.system("cannot start a thread", error)) }
                }
            }
        }
        for thread in threads { thread.join() }
        return results.withLock { all in sources.indices.map { all[$0] ?? .failure(.system("no result", Errno(rawValue: EIO))) } }
    }

    /// Opens each named namespace and sweeps from it; a name that cannot be opened
    /// gets its error in place of outcomes.
    public func run(from names: [NetnsName], in directory: NetnsDirectory = NetnsDirectory()) -> [Result<[EchoOutcome], EchoSourceError>] {
        var handles: [(Int, NetnsHandle)] = []
        var failures: [Int: EchoSourceError] = [:]
        for (index, name) in names.enumerated() {
            do {
                handles.append((index, try directory.open(name)))
            } catch {
                failures[index] = .namespace(error)
            }
        }
        var swept = run(from: handles.map(\.1)).makeIterator()
        return names.indices.map { failures[$0].map { .failure($0) } ?? swept.next()! }
    }
}

/// What became of the echo requests to one destination.
public enum EchoOutcome: Hashable, Sendable {
    case replied
    /// Refused on the way, by an ICMP error or by the source's own kernel.
    case unreachable(EchoRefusal)
    case timedOut
}

public enum EchoRefusal: Hashable, Sendable, CustomStringConvertible {
    /// An ICMP error (destination unreachable, time exceeded) from `reporter`.
    /// The type and code are those of the reporter's family (ICMP or ICMPv6).
    case icmp(type: UInt8, code: UInt8, reporter: IPAddress)
    /// sendto failed in the source namespace (no route: ENETUNREACH).
    case local(Errno)

    public var description: String {
        switch self {
        case .icmp(let type, let code, let reporter):
            "\(reporter.family == .ipv4 ? "ICMP" : "ICMPv6") \(EchoPacket.describe(family: reporter.family, type: type, code: code)) from \(reporter)"
        case .local(let errno) where errno.rawValue == ENETUNREACH: "no route (\(errno))"
        // What sendto says when no neighbour entry can be made: the kernel's table
        // is one for all namespaces, and a big lab's full mesh can fill it.
        case .local(let errno) where errno == .noBufferSpace:
            "cannot send: \(errno) (is the kernel's neighbour table full? it is shared by all namespaces; see sysctl net.ipv4.neigh.default.gc_thresh3)"
        case .local(let errno): "cannot send: \(errno)"
        }
    }
}

public enum EchoSourceError: Error, Hashable, Sendable, CustomStringConvertible {
    case namespace(NetnsError)
    case system(String, Errno)

    public var description: String {
        switch self {
        case .namespace(let error): "\(error)"
        case .system(let action, let errno): "\(action): \(errno)"
        }
    }
}

/// One worker thread's share of a sweep: opens a raw socket per family inside each
/// of its source namespaces, sends every request, then collects until all are settled
/// or the time is up, asking the unanswered again at even intervals.
private struct EchoWorker {
    struct Plan: Sendable {
        let destinations: [IPAddress]
        let requests: [[UInt8]]
        let identifier: UInt16
        let cookie: UInt64
        let timeout: Duration
        let resends: Int
    }

    /// ICMP types the sockets receive (ICMP_FILTER drops the others in the kernel):
    /// echo replies, and the errors that may be about our requests.
    static let wantedTypes: UInt32 = 1 << 0 | 1 << 3 | 1 << 11
    static let receiveBuffer: CInt = 1 << 20

    final class Source {
        let index: Int
        /// One per family of the destinations, in `Plan.families`' order.
        let sockets: [(family: AddressFamily, socket: FileDescriptor)]
        var outcomes: [EchoOutcome?]
        var unsettled: Int
        /// Destinations whose last request could not be sent for lack of buffers.
        var starved: Set<Int> = []

        init(index: Int, sockets: [(family: AddressFamily, socket: FileDescriptor)], destinations: Int) {
            self.index = index
            self.sockets = sockets
            outcomes = Array(repeating: nil, count: destinations)
            unsettled = destinations
        }

        func settle(_ destination: Int, _ outcome: EchoOutcome) {
            if outcomes[destination] == nil { unsettled -= 1 }
            // A reply overrides an earlier error (the path may have healed); an
            // error never overrides a reply.
            if outcomes[destination] == nil || outcome == .replied { outcomes[destination] = outcome }
        }
    }

    let plan: Plan
    let destinationIndex: [IPAddress: Int]
    /// The destinations' families, each opened once per source.
    let families: [AddressFamily]

    init(plan: Plan) {
        self.plan = plan
        destinationIndex = Dictionary(plan.destinations.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        families = AddressFamily.allCases.filter { family in plan.destinations.contains { $0.family == family } }
    }

    func run(_ share: [(Int, NetnsHandle)]) -> [Int: Result<[EchoOutcome], EchoSourceError>] {
        var results: [Int: Result<[EchoOutcome], EchoSourceError>] = [:]
        var sources: [Source] = []
        defer { for source in sources { for opened in source.sockets { Syscall.close(opened.socket) } } }
        for (index, handle) in share {
            var sockets: [(family: AddressFamily, socket: FileDescriptor)] = []
            do throws(EchoSourceError) {
                for family in families { sockets.append((family, try Self.openSocket(family, in: handle))) }
                sources.append(Source(index: index, sockets: sockets, destinations: plan.destinations.count))
            } catch {
                for opened in sockets { Syscall.close(opened.socket) }
                results[index] = .failure(error)
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }

        let clock = ContinuousClock()
        for source in sources {
            send(from: source)
            collect(sources, waiting: .zero, buffer)
        }
        let deadline = clock.now + plan.timeout
        let interval = plan.timeout / (plan.resends + 1)
        var nextRound = clock.now + interval
        var rounds = 0
        while sources.contains(where: { $0.unsettled > 0 }) {
            let now = clock.now
            if now >= deadline { break }
            if rounds < plan.resends, now >= nextRound {
                for source in sources where source.unsettled > 0 {
                    send(from: source)
                    collect(sources, waiting: .zero, buffer)
                }
                rounds += 1
                nextRound = nextRound + interval
                continue
            }
            let until = rounds < plan.resends ? min(nextRound, deadline) : deadline
            collect(sources, waiting: until - now, buffer)
        }
        for source in sources {
            results[source.index] = .success(source.outcomes.enumerated().map { index, outcome in
                outcome ?? (source.starved.contains(index) ? .unreachable(.local(.noBufferSpace)) : .timedOut)
            })
        }
        return results
    }

    /// Enters the namespace (this worker thread only) and opens a raw ICMP or
    /// ICMPv6 socket there.
    static func openSocket(_ family: AddressFamily, in namespace: NetnsHandle) throws(EchoSourceError) -> FileDescriptor {
        let socket: FileDescriptor
        do {
            try Syscall.setns(namespace.fileDescriptor, Syscall.cloneNewNet)
            socket = try Syscall.socket(.rawICMP, family: family)
        } catch {
            throw .system("cannot open a raw \(family == .ipv4 ? "ICMP" : "ICMPv6") socket in \(namespace.path)", error)
        }
        // Leave every ICMP type but ours in the kernel (as ping does); a roomy buffer
        // holds a whole burst of replies.
        switch family {
        case .ipv4:
            // SOL_RAW, ICMP_FILTER: a mask of the types to drop.
            try? Syscall.setOption(socket, level: CInt(SOL_RAW), name: 1, ~wantedTypes)
        case .ipv6:
            // IPPROTO_ICMPV6, ICMP6_FILTER: 256 bits, one per type, set to drop.
            try? Syscall.setOption(socket, level: CInt(IPPROTO_ICMPV6), name: 1, wantedV6Types)
        }
        if (try? Syscall.setOption(socket, level: SOL_SOCKET, name: SO_RCVBUFFORCE, receiveBuffer)) == nil {
            try? Syscall.setOption(socket, level: SOL_SOCKET, name: SO_RCVBUF, receiveBuffer)
        }
        return socket
    }

    /// ICMP6_FILTER's value: every type blocked but echo replies and the errors.
    static let wantedV6Types: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = {
        var words = Array(repeating: UInt32.max, count: 8)
        for type in [EchoPacket.V6.destinationUnreachable, EchoPacket.V6.timeExceeded, EchoPacket.V6.echoReply] {
            words[Int(type) / 32] &= ~(1 << (UInt32(type) % 32))
        }
        return (words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7])
    }()

    func socket(of source: Source, _ family: AddressFamily) -> FileDescriptor {
        source.sockets.first { $0.family == family }!.socket
    }

    /// Sends a request to every destination not yet settled.
    func send(from source: Source) {
        for (index, destination) in plan.destinations.enumerated() where source.outcomes[index] == nil {
            do throws(Errno) {
                _ = try Syscall.send(socket(of: source, destination.family), plan.requests[index], to: SocketAddress(destination, port: 0))
                source.starved.remove(index)
            } catch .wouldBlock {
                // A full socket buffer: the next round asks again.
            } catch .noBufferSpace {
                // No neighbour entry to be had (or no memory): the next round asks
                // again, and if none gets through, that is the pair's outcome.
                source.starved.insert(index)
            } catch {
                source.settle(index, .unreachable(.local(error)))
            }
        }
    }

    /// Waits up to `waiting` for any socket to become readable, then reads every
    /// packet queued on the readable ones.
    func collect(_ sources: [Source], waiting: Duration, _ buffer: UnsafeMutableRawBufferPointer) {
        let opened = sources.flatMap { source in source.sockets.map { (source, $0.family, $0.socket) } }
        var polled = opened.map { pollfd(fd: $0.2.rawValue, events: Int16(POLLIN), revents: 0) }
        let milliseconds = CInt(max(0, (waiting / .milliseconds(1)).rounded(.up)))
        guard let ready = try? Syscall.poll(&polled, timeoutMilliseconds: milliseconds), ready > 0 else { return }
        for (position, entry) in polled.enumerated() where entry.revents != 0 {
            receive(opened[position].0, opened[position].1, opened[position].2, buffer)
        }
    }

    /// The next message on an ICMP socket (IPv4: the whole packet) or ICMPv6 socket
    /// (the message; the sender from recvfrom), parsed; nil when none is queued.
    func next(_ family: AddressFamily, _ socket: FileDescriptor, _ buffer: UnsafeMutableRawBufferPointer) -> EchoPacket.Received?? {
        switch family {
        case .ipv4:
            guard let count = try? Syscall.receive(socket, into: buffer) else { return nil }
            return .some(EchoPacket.parse(UnsafeRawBufferPointer(rebasing: buffer[..<count])))
        case .ipv6:
            guard let (count, sender) = try? Syscall.receiveFrom(socket, into: buffer) else { return nil }
            guard let from = sender.address.ipv6 else { return .some(nil) }
            return .some(EchoPacket.parseV6(UnsafeRawBufferPointer(rebasing: buffer[..<count]), from: from))
        }
    }

    func receive(_ source: Source, _ family: AddressFamily, _ socket: FileDescriptor, _ buffer: UnsafeMutableRawBufferPointer) {
        while let received = next(family, socket, buffer) {
            guard let packet = received else { continue }
            switch packet {
            case .reply(let from, let identifier, let cookie, let index):
                guard identifier == plan.identifier, cookie == plan.cookie, Int(index) < plan.destinations.count,
                      plan.destinations[Int(index)] == from else { continue }
                source.settle(Int(index), .replied)
            case .error(let reporter, let type, let code, let destination, let identifier):
                guard identifier == plan.identifier, let index = destinationIndex[destination] else { continue }
                source.settle(index, .unreachable(.icmp(type: type, code: code, reporter: reporter)))
            }
        }
    }
}
