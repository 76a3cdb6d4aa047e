/// Runs `body` once inside the namespace bound to `name`, on a fresh thread that ends
/// (and no longer holds the namespace) before this returns. For a single job; keep a
/// NetnsThread for many.
@available(*, noasync, message: "blocks the calling thread; use the async withNetns from async code")
public func withNetns<T>(_ name: NetnsName, in directory: NetnsDirectory = NetnsDirectory(),
                         _ body: () throws -> T) throws -> T {
    let thread = try NetnsThread(named: name, in: directory)
    defer { thread.close() }
    return try thread.run(body)
}

public func withNetns<T: Sendable>(_ name: NetnsName, in directory: NetnsDirectory = NetnsDirectory(),
                                   _ body: @escaping @Sendable () throws -> T) async throws -> T {
    let thread = try NetnsThread(named: name, in: directory)
    defer { thread.close() }
    return try await thread.run(body)
}
