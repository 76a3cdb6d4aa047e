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

    /// The namespaces split over `threads` tours running at once (reading hundreds
    /// of namespaces is syscall-bound, so the cores help); results in input order.
    static func visitConcurrently<Value: Sendable>(
        _ namespaces: [NetnsHandle], threads: Int,
        _ body: @escaping @Sendable (NetnsHandle) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        guard !namespaces.isEmpty else { return [] }
        let count = max(1, min(threads, namespaces.count))
        let chunk = (namespaces.count + count - 1) / count
        let slices = stride(from: 0, to: namespaces.count, by: chunk).map { Array(namespaces[$0..<min($0 + chunk, namespaces.count)]) }
        let results = Mutex<[Int: [Result<Value, any Error>]]>([:])
        var tours: [JoinableThread] = []
        for (index, slice) in slices.enumerated() {
            tours.append(try JoinableThread(name: "podnet tour \(index)") {
                let visited = tour(slice, body)
                results.withLock { $0[index] = visited }
            })
        }
        for tour in tours { tour.join() }
        return results.withLock { all in (0..<slices.count).flatMap { all[$0] ?? [] } }
    }

    /// Runs on a touring thread: enters each namespace in turn and runs `body` there.
    private static func tour<Value>(_ namespaces: [NetnsHandle], _ body: (NetnsHandle) throws -> Value) -> [Result<Value, any Error>] {
        namespaces.map { namespace in
            Result {
                try Syscall.setns(namespace.fileDescriptor, Syscall.cloneNewNet)
                return try body(namespace)
            }
        }
    }
}
