@testable import PodnetKernel
import Testing

/// Runs `body` with `count` fresh namespaces made by podnet, and always deletes them,
/// whether `body` returns, throws or fails an expectation. Afterwards it checks that
/// the test left the process where it was (see HomeCheck).
func withScratchNamespaces<T>(_ count: Int = 1, prefix: String = TestNames.prefix,
                              _ body: ([NetnsName]) throws -> T) throws -> T {
    let directory = NetnsDirectory()
    var made: [NetnsName] = []
    defer { cleanUp(made, in: directory) }
    for _ in 0..<count {
        let name = TestNames.fresh(prefix: prefix)
        try directory.add(name)
        made.append(name)
    }
    return try body(made)
}

func withScratchNamespaces<T>(_ count: Int = 1, _ body: ([NetnsName]) async throws -> T) async throws -> T {
    let directory = NetnsDirectory()
    var made: [NetnsName] = []
    defer { cleanUp(made, in: directory) }
    for _ in 0..<count {
        let name = TestNames.fresh()
        try directory.add(name)
        made.append(name)
    }
    return try await body(made)
}

/// Deletes what a test made and checks that it is gone and the process untouched.
func cleanUp(_ names: [NetnsName], in directory: NetnsDirectory) {
    for name in names { try? directory.delete(name) }
    let listed = (try? ipNetnsList()) ?? []
    for name in names {
        #expect(!listed.contains(name.rawValue), "\(name) is still listed by ip netns list")
    }
    HomeCheck.expectUntouched()
}
