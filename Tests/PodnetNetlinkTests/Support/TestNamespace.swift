import CPodnetSystem
import Foundation
import Glibc
import PodnetNetlink

/// Whether the root-only integration tests can run.
let isRoot = getuid() == 0

/// A named network namespace made for one test (`ip netns add pntest-nl-<random>`),
/// under a prefix no user would choose.
struct TestNamespace: Sendable {
    let name: String

    var path: String { "/run/netns/\(name)" }

    static func create() throws -> TestNamespace {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let namespace = TestNamespace(name: "pntest-nl-\(suffix)")
        try run("/usr/sbin/ip", ["netns", "add", namespace.name])
        return namespace
    }

    func delete() {
        _ = try? run("/usr/sbin/ip", ["netns", "del", name])
    }

    /// A connection whose socket lives in this namespace.
    func connection() throws -> NetlinkConnection {
        NetlinkConnection(socket: try openSocket(inNamespaceAt: path))
    }

    /// `ip -n NAME ARGS`.
    @discardableResult
    func ip(_ arguments: String...) throws -> String {
        try run("/usr/sbin/ip", ["-n", name] + arguments)
    }

    /// `ip -n NAME -j ARGS`, parsed.
    func ipJSON(_ arguments: String...) throws -> [[String: Any]] {
        try jsonObjects(run("/usr/sbin/ip", ["-n", name, "-j"] + arguments))
    }

    /// `bridge -n NAME -j ARGS`, parsed.
    func bridgeJSON(_ arguments: String...) throws -> [[String: Any]] {
        try jsonObjects(run("/usr/sbin/bridge", ["-n", name, "-j"] + arguments))
    }

    /// An open descriptor of the namespace, for IFLA_NET_NS_FD; the caller closes it.
    func openDescriptor() throws -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemCallError(call: "open(\(path))", code: errno) }
        return descriptor
    }
}

/// Runs `body` with `count` fresh namespaces, and deletes them afterwards whatever
/// happens in `body`.
func withTestNamespaces(_ count: Int, _ body: ([TestNamespace]) throws -> Void) throws {
    var namespaces: [TestNamespace] = []
    defer { for namespace in namespaces { namespace.delete() } }
    for _ in 0..<count { namespaces.append(try TestNamespace.create()) }
    try body(namespaces)
}

/// Opens a netlink socket inside the namespace at `path` without moving the calling
/// thread: a dedicated thread enters the namespace, creates the socket, returns to
/// its original namespace and ends. The socket stays bound to the namespace it was
/// made in, whichever thread uses it afterwards.
func openSocket(inNamespaceAt path: String, bus: NetlinkBus = .route) throws -> KernelNetlinkSocket {
    final class Outcome: @unchecked Sendable {
        var result: Result<KernelNetlinkSocket, any Error>?
    }
    let outcome = Outcome()
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
        defer { finished.signal() }
        outcome.result = Result { try createSocketInNamespace(path: path, bus: bus) }
    }
    thread.start()
    finished.wait()
    return try outcome.result!.get()
}

/// Runs on the dedicated thread only.
private func createSocketInNamespace(path: String, bus: NetlinkBus) throws -> KernelNetlinkSocket {
    let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
    guard original >= 0 else { throw SystemCallError(call: "open(/proc/thread-self/ns/net)", code: errno) }
    defer { close(original) }
    let target = open(path, O_RDONLY | O_CLOEXEC)
    guard target >= 0 else { throw SystemCallError(call: "open(\(path))", code: errno) }
    defer { close(target) }
    guard podnet_setns(target, podnet_clone_newnet()) == 0 else {
        throw SystemCallError(call: "setns(\(path))", code: errno)
    }
    // Back to where the thread started before it ends, even though it is ending.
    defer { precondition(podnet_setns(original, podnet_clone_newnet()) == 0, "setns back failed") }
    return try KernelNetlinkSocket(bus: bus)
}
