import Glibc
import Synchronization

/// A batch of connections to make from inside one source namespace.
public struct ConnectionProbe: Hashable, Sendable {
    /// Index into the sources given to `ConnectionSweep.run`.
    public var source: Int
    public var destination: SocketAddress
    public var `protocol`: ProbeProtocol
    /// Connections to make, each on a fresh socket (a fresh source port, so a load
    /// balancer decides anew for each).
    public var count: Int

    public init(source: Int, destination: SocketAddress, protocol: ProbeProtocol, count: Int) {
        self.source = source
        self.destination = destination
        self.protocol = `protocol`
        self.count = count
    }
}

/// What one connection saw.
public enum ConnectionOutcome: Hashable, Sendable {
    /// The first line the server sent before closing (TCP), or its reply (UDP).
    case answered(String)
    /// ECONNREFUSED: a TCP reset, or an ICMP port unreachable (what a proxy's reject sends).
    case refused
    /// Another error on the way: no route, host or network unreachable, prohibited.
    case unreachable(Errno)
    /// No answer in time; `connected`: the TCP handshake completed, but no answer came.
    case timedOut(connected: Bool)
    /// The server closed without a word.
    case closedWithoutAnswer
    /// Anything else (reset after connecting, no socket to be had).
    case failed(Errno)
}

/// Makes many short connections from inside many namespaces at once and records
/// what answered each: the client half of a service check (`AnsweringListeners`
/// is the other). TCP: connect, read the answer to its end. UDP: send a datagram
/// on a connected socket, read the reply; asked again a few times within the timeout.
///
/// Worker threads enter a source namespace only to open a socket there (a socket
/// stays in the namespace it was born in) and keep at most `inFlight` connections
/// open at a time each; the caller's thread never changes namespace.
public struct ConnectionSweep: Sendable {
    /// How long a connection may take to be answered, from its start. For TCP leave
    /// room for one SYN retransmission (Linux sends it after 1 s).
    public var timeout: Duration
    public var inFlight: Int
    public var threads: Int

    public init(timeout: Duration = .seconds(2), inFlight: Int = 256, threads: Int = 2) {
        self.timeout = timeout
        self.inFlight = inFlight
        self.threads = threads
    }

    /// The outcomes of each probe's connections, probes in order.
    public func run(_ probes: [ConnectionProbe], from sources: [NetnsHandle]) -> [[ConnectionOutcome]] {
        guard !probes.isEmpty else { return [] }
        let workers = max(1, min(threads, Set(probes.map(\.source)).count))
        // A worker serves whole sources, so it enters each namespace once per run
        // of that source's connections; sources are dealt out in turn.
        var shares = Array(repeating: [Job](), count: workers)
        for (index, probe) in probes.enumerated() {
            for connection in 0..<probe.count {
                shares[probe.source % workers].append(Job(probe: index, connection: connection))
            }
        }
        let results = Mutex(probes.map { Array(repeating: ConnectionOutcome.failed(Errno(rawValue: EIO)), count: $0.count) })
        var threads: [JoinableThread] = []
        for (worker, jobs) in shares.enumerated() where !jobs.isEmpty {
            let sorted = jobs.sorted { (probes[$0.probe].source, $0.probe, $0.connection) < (probes[$1.probe].source, $1.probe, $1.connection) }
            let work = ConnectionWorker(probes: probes, sources: sources, timeout: timeout, inFlight: max(1, inFlight))
            do {
                threads.append(try JoinableThread(name: "podnet connect \(worker)") {
                    let outcomes = work.run(sorted)
                    results.withLock { all in
                        for (job, outcome) in outcomes { all[job.probe][job.connection] = outcome }
                    }
                })
            } catch {
                results.withLock { all in
                    for job in jobs { all[job.probe][job.connection] = .failed(error) }
                }
            }
        }
        for thread in threads { thread.join() }
        return results.withLock { $0 }
    }
}

struct Job: Hashable, Sendable {
    let probe: Int
    let connection: Int
}

/// One worker thread's connections, at most `inFlight` open at once, driven by poll.
private struct ConnectionWorker: Sendable {
    let probes: [ConnectionProbe]
    let sources: [NetnsHandle]
    let timeout: Duration
    let inFlight: Int

    enum Stage { case connecting, reading, awaitingDatagram }

    final class Connection {
        let job: Job
        let socket: FileDescriptor
        var stage: Stage
        let deadline: ContinuousClock.Instant
        var nextResend: ContinuousClock.Instant
        var received: [UInt8] = []
        var outcome: ConnectionOutcome?

        init(job: Job, socket: FileDescriptor, stage: Stage, deadline: ContinuousClock.Instant, nextResend: ContinuousClock.Instant) {
            self.job = job
            self.socket = socket
            self.stage = stage
            self.deadline = deadline
            self.nextResend = nextResend
        }
    }

    static let question: [UInt8] = Array("?\n".utf8)
    static let resends = 3

    func run(_ jobs: [Job]) -> [(Job, ConnectionOutcome)] {
        var finished: [(Job, ConnectionOutcome)] = []
        finished.reserveCapacity(jobs.count)
        var open: [Connection] = []
        var next = 0
        var entered: Int?
        let clock = ContinuousClock()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }

        while next < jobs.count || !open.isEmpty {
            while open.count < inFlight, next < jobs.count {
                let job = jobs[next]
                next += 1
                switch start(job, entered: &entered, clock: clock, buffer) {
                case .left(let connection): open.append(connection)
                case .right(let outcome): finished.append((job, outcome))
                }
            }
            var polled = open.map { connection in
                let events = connection.stage == .connecting ? POLLOUT : POLLIN
                return pollfd(fd: connection.socket.rawValue, events: Int16(events), revents: 0)
            }
            let now = clock.now
            let soonest = open.map { $0.stage == .awaitingDatagram ? min($0.deadline, $0.nextResend) : $0.deadline }.min() ?? now
            let milliseconds = CInt(max(0, ((soonest - now) / .milliseconds(1)).rounded(.up)))
            if (try? Syscall.poll(&polled, timeoutMilliseconds: milliseconds)) != nil {
                for (index, entry) in polled.enumerated() where entry.revents != 0 {
                    advance(open[index], buffer)
                }
            }
            let after = clock.now
            for connection in open where connection.outcome == nil {
                if after >= connection.deadline {
                    connection.outcome = .timedOut(connected: connection.stage == .reading)
                } else if connection.stage == .awaitingDatagram, after >= connection.nextResend {
                    ask(connection)
                    connection.nextResend = after + timeout / (Self.resends + 1)
                }
            }
            open.removeAll { connection in
                guard let outcome = connection.outcome else { return false }
                if case .answered = outcome, connection.stage == .reading { Self.abort(connection.socket) }
                Syscall.close(connection.socket)
                finished.append((connection.job, outcome))
                return true
            }
        }
        return finished
    }

    enum Started { case left(Connection), right(ConnectionOutcome) }

    /// Opens the socket inside the probe's source namespace and starts connecting.
    func start(_ job: Job, entered: inout Int?, clock: ContinuousClock, _ buffer: UnsafeMutableRawBufferPointer) -> Started {
        let probe = probes[job.probe]
        let socket: FileDescriptor
        do throws(Errno) {
            if entered != probe.source {
                try Syscall.setns(sources[probe.source].fileDescriptor, Syscall.cloneNewNet)
                entered = probe.source
            }
            socket = try Syscall.socket(probe.protocol == .tcp ? .stream : .datagram, family: probe.destination.family)
        } catch {
            return .right(.failed(error))
        }
        let now = clock.now
        let connection = Connection(job: job, socket: socket, stage: probe.protocol == .tcp ? .connecting : .awaitingDatagram,
                                    deadline: now + timeout, nextResend: now + timeout / (Self.resends + 1))
        do throws(Errno) {
            try Syscall.connect(socket, probe.destination)
            // Connected at once (TCP to a local address; UDP always).
            if connection.stage == .connecting { connection.stage = .reading }
        } catch .inProgress {
        } catch {
            Syscall.close(socket)
            return .right(Self.refusal(error))
        }
        switch connection.stage {
        case .awaitingDatagram: ask(connection)
        case .reading: read(connection, buffer)
        case .connecting: break
        }
        if let outcome = connection.outcome {
            Syscall.close(socket)
            return .right(outcome)
        }
        return .left(connection)
    }

    func advance(_ connection: Connection, _ buffer: UnsafeMutableRawBufferPointer) {
        switch connection.stage {
        case .connecting:
            let error: Errno?
            do {
                error = try Syscall.pendingError(connection.socket)
            } catch {
                connection.outcome = .failed(error)
                return
            }
            if let error {
                connection.outcome = Self.refusal(error)
            } else {
                connection.stage = .reading
                read(connection, buffer)
            }
        case .reading:
            read(connection, buffer)
        case .awaitingDatagram:
            do {
                let count = try Syscall.receive(connection.socket, into: buffer)
                connection.outcome = .answered(Self.firstLine(Array(buffer[..<count])))
            } catch .wouldBlock {
            } catch {
                connection.outcome = Self.refusal(error)
            }
        }
    }

    /// Reads what the server sent, to the end; the answer is its first line.
    func read(_ connection: Connection, _ buffer: UnsafeMutableRawBufferPointer) {
        while connection.outcome == nil {
            do {
                let count = try Syscall.receive(connection.socket, into: buffer)
                if count == 0 {
                    connection.outcome = connection.received.isEmpty ? .closedWithoutAnswer : .answered(Self.firstLine(connection.received))
                } else if connection.received.count < 4096 {
                    connection.received += buffer[..<count]
                }
            } catch .wouldBlock {
                return
            } catch {
                connection.outcome = .failed(error)
            }
        }
    }

    /// Sends the question datagram; an error already queued on the socket (an ICMP
    /// port unreachable for an earlier one) is the answer.
    func ask(_ connection: Connection) {
        do throws(Errno) {
            _ = try Syscall.send(connection.socket, Self.question)
        } catch .wouldBlock, .noBufferSpace {
        } catch {
            connection.outcome = Self.refusal(error)
        }
    }

    /// Makes the coming close send a reset instead of a FIN (SO_LINGER, zero
    /// timeout): the answer is read and the server has closed, so the usual FIN and
    /// its acknowledgement are two packets per connection for nothing.
    static func abort(_ socket: FileDescriptor) {
        try? Syscall.setOption(socket, level: SOL_SOCKET, name: SO_LINGER, linger(l_onoff: 1, l_linger: 0))
    }

    static func refusal(_ error: Errno) -> ConnectionOutcome {
        error == .connectionRefused ? .refused : .unreachable(error)
    }

    static func firstLine(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }
}
