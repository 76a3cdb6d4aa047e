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
    /// order. Each tour takes the next unvisited namespace when it is done with one,
    /// so a tour that drew the heavy ones (nodes: bridges, tables) does not finish
    /// long after the others, as it did when each tour had a fixed half.
    static func visitConcurrently<Value: Sendable>(
        _ namespaces: [NetnsHandle], threads: Int,
        _ body: @escaping @Sendable (NetnsHandle) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        guard !namespaces.isEmpty else { return [] }
        let count = max(1, min(threads, namespaces.count))
        let next = Atomic<Int>(0)
        let results = Mutex<[Int: Result<Value, any Error>]>([:])
        var tours: [JoinableThread] = []
        for index in 0..<count {
            tours.append(try JoinableThread(name: "podnet tour \(index)") {
                var visited: [(Int, Result<Value, any Error>)] = []
                while true {
                    let position = next.add(1, ordering: .relaxed).oldValue
                    guard position < namespaces.count else { break }
                    let namespace = namespaces[position]
                    visited.append((position, Result {
                        try Syscall.setns(namespace.fileDescriptor, Syscall.cloneNewNet)
                        return try body(namespace)
                    }))
                }
                results.withLock { all in for (position, result) in visited { all[position] = result } }
            })
        }
        for tour in tours { tour.join() }
        return results.withLock { all in (0..<namespaces.count).map { all[$0]! } }
    }
}
