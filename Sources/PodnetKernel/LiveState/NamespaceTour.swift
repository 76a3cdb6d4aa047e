import Glibc
import Synchronization

/// Visits namespaces one after another on one dedicated thread, running `body`
/// inside each: cheaper than a thread per namespace when reading hundreds of them
/// (a netlink socket opened inside stays bound to that namespace afterwards). The
/// thread ends when the tour does; the caller's thread never changes namespace.
enum NamespaceTour {
    static func visit<Value: Sendable>(
        _ namespaces: [NetnsHandle],
        _ body: @escaping @Sendable (NetnsHandle) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        let results = Mutex<[Result<Value, any Error>]>([])
        let thread = try JoinableThread(name: "podnet tour") {
            var visited: [Result<Value, any Error>] = []
            visited.reserveCapacity(namespaces.count)
            for namespace in namespaces {
                do {
                    try Syscall.setns(namespace.fileDescriptor, Syscall.cloneNewNet)
                    visited.append(.success(try body(namespace)))
                } catch {
                    visited.append(.failure(error))
                }
            }
            let done = visited
            results.withLock { $0 = done }
        }
        thread.join()
        return results.withLock { $0 }
    }

    /// As `visit`, split over `threads` tours running at once (reading hundreds of
    /// namespaces is syscall-bound, so the cores help); results in input order.
    static func visitConcurrently<Value: Sendable>(
        _ namespaces: [NetnsHandle], threads: Int,
        _ body: @escaping @Sendable (NetnsHandle) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        let count = max(1, min(threads, namespaces.count))
        guard count > 1 else { return try visit(namespaces, body) }
        let chunk = (namespaces.count + count - 1) / count
        let slices = stride(from: 0, to: namespaces.count, by: chunk).map { Array(namespaces[$0..<min($0 + chunk, namespaces.count)]) }
        let results = Mutex<[Int: [Result<Value, any Error>]]>([:])
        var tours: [JoinableThread] = []
        for (index, slice) in slices.enumerated() {
            tours.append(try JoinableThread(name: "podnet tour \(index)") {
                var visited: [Result<Value, any Error>] = []
                for namespace in slice {
                    do {
                        try Syscall.setns(namespace.fileDescriptor, Syscall.cloneNewNet)
                        visited.append(.success(try body(namespace)))
                    } catch {
                        visited.append(.failure(error))
                    }
                }
                let done = visited
                results.withLock { $0[index] = done }
            })
        }
        for tour in tours { tour.join() }
        return results.withLock { all in (0..<slices.count).flatMap { all[$0] ?? [] } }
    }
}
