import Glibc
import Synchronization

/// A thread of its own inside one network namespace, running submitted closures one
/// at a time. setns only moves the calling thread and Swift concurrency moves tasks
/// between threads, so namespace work happens here and never on the caller's thread.
///
/// Closures must not start threads, tasks or dispatch work: a thread started from
/// inside inherits the namespace. A netlink socket opened in a closure stays bound to
/// this namespace wherever it is used afterwards.
///
/// `close()` (or releasing the last reference) ends the thread and waits until it is
/// gone, after which the thread no longer keeps the namespace alive.
public final class NetnsThread: Sendable {
    public let namespace: NetnsHandle
    /// The namespace's name, or its identity when it has none; names the thread in `ps -L`.
    public let label: String
    private let mailbox = Mailbox<Job>()
    private let thread: JoinableThread
    private let threadID: pid_t
    private let joined = Mutex(false)

    fileprivate enum Job: Sendable {
        case work(@Sendable (NamespacePosition) -> Void)
        case stop
    }

    public var identity: NetnsIdentity { namespace.identity }

    /// Starts the thread and returns once it is inside `namespace`.
    public init(_ namespace: NetnsHandle, label: String? = nil) throws(NetnsError) {
        self.namespace = namespace
        self.label = label ?? namespace.identity.description
        let mailbox = mailbox
        let started = Handoff<Result<pid_t, NetnsError>>()
        do throws(Errno) {
            thread = try JoinableThread(name: "ns " + self.label) {
                Self.serve(mailbox, inside: namespace, started: started)
            }
        } catch {
            throw .system("cannot start a thread", error)
        }
        switch started.take() {
        case .success(let id):
            threadID = id
        case .failure(let error):
            thread.join()
            throw error
        }
    }

    /// The thread's whole life: enter, report, work through the mailbox until "stop".
    private static func serve(_ mailbox: Mailbox<Job>, inside namespace: NetnsHandle,
                              started: Handoff<Result<pid_t, NetnsError>>) {
        let position: NamespacePosition
        do throws(NetnsError) {
            position = try NamespacePosition(target: namespace.fileDescriptor)
        } catch {
            return started.put(.failure(error))
        }
        defer { position.close() }
        do throws(NetnsError) {
            try position.enter()
        } catch {
            return started.put(.failure(error))
        }
        started.put(.success(Syscall.gettid()))
        while case .work(let job) = mailbox.next() { job(position) }
        // Ending inside the namespace is fine: nothing is started from here any more.
        withExtendedLifetime(namespace) {}
    }

    /// A thread inside the namespace bound to `name` (from `ip netns add` or podnet).
    public convenience init(named name: NetnsName, in directory: NetnsDirectory = NetnsDirectory()) throws(NetnsError) {
        try self.init(directory.open(name), label: name.rawValue)
    }

    /// True on the namespace thread itself, where `run` calls its closure directly.
    public var isCurrent: Bool { Syscall.gettid() == threadID }

    /// Runs `body` inside the namespace and returns its result or rethrows its error,
    /// blocking the calling thread meanwhile (so `body` may capture anything, as with
    /// DispatchQueue.sync). Throws NetnsError.threadClosed after `close()`.
    @available(*, noasync, message: "blocks the calling thread; use the async run from async code")
    public func run<T>(_ body: () throws -> T) throws -> T {
        if isCurrent { return try body() }
        return try withoutActuallyEscaping(body) { body in
            let call = BlockingCall(body)
            guard mailbox.post(.work({ position in call.perform(in: position) })) else {
                throw NetnsError.threadClosed
            }
            return try call.result()
        }
    }

    /// Runs `body` inside the namespace, suspending the calling task meanwhile; the
    /// caller's thread is free for other tasks and never enters the namespace.
    /// Cancellation does not interrupt `body`.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let posted = mailbox.post(.work({ position in
                let result = Result { () throws -> T in
                    try position.enter()
                    return try body()
                }
                position.leave()  // see NamespacePosition: never resume from inside
                continuation.resume(with: result)
            }))
            if !posted { continuation.resume(throwing: NetnsError.threadClosed) }
        }
    }

    /// Ends the thread after the jobs already queued, and waits until it is gone.
    /// From inside a job it cannot wait for itself: the thread then ends after that job.
    public func close() {
        if isCurrent {
            _ = mailbox.close(with: .stop)
            return
        }
        joined.withLock { joined in
            if joined { return }
            _ = mailbox.close(with: .stop)
            thread.join()
            joined = true
        }
    }

    deinit {
        if isCurrent {
            _ = mailbox.close(with: .stop)
            thread.detach()
        } else {
            close()
        }
    }
}

/// A synchronous `run`: the closure goes to the namespace thread while the caller
/// blocks in `result()`. The closure is dropped before the result is handed back,
/// so withoutActuallyEscaping sees it unescaped when the caller returns.
private final class BlockingCall<T>: @unchecked Sendable {
    private var body: (() throws -> T)?
    private let outcome = Handoff<Result<T, any Error>>()

    init(_ body: @escaping () throws -> T) { self.body = body }

    func perform(in position: NamespacePosition) {
        let result = Result { () throws -> T in
            try position.enter()
            return try body!()
        }
        body = nil
        outcome.put(result)
    }

    func result() throws -> T { try outcome.take().get() }
}
