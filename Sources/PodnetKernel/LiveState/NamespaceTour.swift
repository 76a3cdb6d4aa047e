import Glibc
import Synchronization

/// Visits namespaces one after another on dedicated threads, running `body` inside
/// each: cheaper than a thread per namespace when reading hundreds of them (a
/// netlink socket opened inside stays bound to that namespace afterwards). The
/// threads end when the tour does; the caller's thread never changes namespace.
enum NamespaceTour {
    /// One touring thread.
    static func visit<Value: Sendable>(
        _ namespaces: [NetnsHandle],
        _ body: @escaping @Sendable (NetnsHandle) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        try visitConcurrently(namespaces, threads: 1, body)
    }

    /// The namespaces shared out among `threads` tours running at once (reading
    /// hundreds of namespaces is syscall-bound, so the cores help); results in input
    /// order.
    static func visitConcurrently<Value: Sendable>(
        _ namespaces: [NetnsHandle], threads: Int,
        _ body: @escaping @Sendable (NetnsHandle) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        try shareOut(namespaces.count, threads: threads) { position in
            let namespace = namespaces[position]
            try Syscall.setns(namespace.fileDescriptor, Syscall.cloneNewNet)
            return try body(namespace)
        }
    }

    /// The same for namespaces known by name, each entered by the tour that visits it
    /// with three system calls: open, setns, close. setns itself refuses a file that
    /// is no network namespace, so NetnsHandle's checks (NS_GET_NSTYPE, fstat) would
    /// be two calls for nothing, and the thread holds the namespace once inside. A name
    /// gone by then (deleted meanwhile) or with nothing mounted on it gives `nil`; any
    /// other failure to open (out of descriptors, say) is that namespace's error, never
    /// taken for its absence, which would plan to create a namespace that exists.
    static func visitConcurrently<Value: Sendable>(
        _ names: [NetnsName], in directory: NetnsDirectory, threads: Int,
        _ body: @escaping @Sendable (NetnsName) throws -> Value
    ) throws -> [Result<Value?, any Error>] {
        try shareOut(names.count, threads: threads) { position in
            let path = directory.path(of: names[position])
            let fd: FileDescriptor
            do throws(Errno) {
                fd = try Syscall.open(path, O_RDONLY | O_CLOEXEC)
            } catch .noEntry {
                return nil
            } catch {
                throw NetnsError.system("cannot open \(path)", error)
            }
            do {
                defer { Syscall.close(fd) }
                try Syscall.setns(fd, Syscall.cloneNewNet)
            } catch let error as Errno where error == .invalidArgument {
                return nil
            }
            return try body(names[position])
        }
    }

    /// Runs `work` for positions 0..<count on `threads` threads. Each thread takes the
    /// next position when done with one, so a thread that drew heavy namespaces
    /// (nodes: bridges, tables) does not finish long after the others, as it did when
    /// each had a fixed share.
    static func shareOut<Value: Sendable>(
        _ count: Int, threads: Int, _ work: @escaping @Sendable (Int) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        guard count > 0 else { return [] }
        let next = Atomic<Int>(0)
        let results = Mutex<[Int: Result<Value, any Error>]>([:])
        var tours: [JoinableThread] = []
        for index in 0..<max(1, min(threads, count)) {
            tours.append(try JoinableThread(name: "podnet tour \(index)") {
                var visited: [(Int, Result<Value, any Error>)] = []
                while true {
                    let position = next.add(1, ordering: .relaxed).oldValue
                    guard position < count else { break }
                    visited.append((position, Result { try work(position) }))
                }
                results.withLock { all in for (position, result) in visited { all[position] = result } }
            })
        }
        for tour in tours { tour.join() }
        return results.withLock { all in (0..<count).map { all[$0]! } }
    }
}
