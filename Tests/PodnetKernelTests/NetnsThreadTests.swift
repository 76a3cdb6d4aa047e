@testable import PodnetKernel
import Glibc
import Testing

extension KernelTests {
    @Suite struct NetnsThreadTests {
        struct Oops: Error, Equatable {}

        @Test func closuresRunInsideTheNamespace() throws {
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let caller = try NetnsIdentity.ofCallingThread()
                let (inside, tid) = try thread.run { (try NetnsIdentity.ofCallingThread(), Syscall.gettid()) }
                #expect(inside == thread.identity)
                #expect(inside == (try NetnsIdentity(path: NetnsDirectory().path(of: names[0]))))
                #expect(tid != Syscall.gettid())
                #expect(try NetnsIdentity.ofCallingThread() == caller)
                // Serial, on one thread: every job sees the same thread.
                #expect(try (0..<10).map { _ in try thread.run { Syscall.gettid() } }.allSatisfy { $0 == tid })
            }
        }

        @Test func runReturnsValuesAndRethrows() throws {
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                var captured = 0  // a non-Sendable capture is fine: the caller blocks
                #expect(try thread.run { captured += 1; return "value" } == "value")
                #expect(captured == 1)
                #expect(throws: Oops()) { try thread.run { throw Oops() } }
                // Nested runs execute in place instead of deadlocking.
                #expect(try thread.run { try thread.run { 42 } } == 42)
            }
        }

        @Test func closedThreadRefusesWorkAndIsGone() throws {
            try withScratchNamespaces(1) { names throws in
                let thread = try NetnsThread(named: names[0])
                let tid = try thread.run { Syscall.gettid() }
                thread.close()
                thread.close()  // idempotent
                #expect(throws: NetnsError.threadClosed) { try thread.run { 1 } }
                #expect(!directoryExists("/proc/self/task/\(tid)"))
            }
        }

        @Test func asyncRunNeverMovesTheCaller() async throws {
            try await withScratchNamespaces(1) { names async throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let inside = try await thread.run { try NetnsIdentity.ofCallingThread() }
                #expect(inside == thread.identity)
                #expect(try NetnsIdentity.ofCallingThread() == NetnsIdentity.ofProcess())
                await #expect(throws: Oops()) { try await thread.run { throw Oops() } }
                thread.close()
                await #expect(throws: NetnsError.threadClosed) { try await thread.run { 1 } }
            }
        }

        @Test func oneShotWithNetns() async throws {
            try await withScratchNamespaces(1) { names async throws in
                let expected = try NetnsDirectory().open(names[0]).identity
                #expect(try await withNetns(names[0]) { try NetnsIdentity.ofCallingThread() } == expected)
                let blocking = try await Task.detached { try blockingWithNetns(names[0]) }.value
                #expect(blocking == expected)
            }
        }

        @Test func twoNamespaceThreadsConcurrently() async throws {
            try await withScratchNamespaces(2) { names async throws in
                let threads = try names.map { try NetnsThread(named: $0) }
                defer { for thread in threads { thread.close() } }
                // Many tasks hammer both threads at once; each job checks where it runs.
                let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<200 {
                        let thread = threads[index % 2]
                        group.addTask {
                            let seen = try await thread.run { try NetnsIdentity.ofCallingThread() }
                            return seen == thread.identity ? 0 : 1
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(mismatches == 0)
                #expect(threads[0].identity != threads[1].identity)
            }
        }

        /// Resuming a continuation can make libdispatch start a pool thread from the
        /// resuming thread; from inside a namespace that thread would stay there. The
        /// pool's idle threads exit after about 5 s, so a job longer than that is
        /// resumed with no idle thread left: the case that leaked before NetnsThread
        /// stepped out to resume (HomeCheck then finds "root.default-qos" threads).
        @Test func resumingLeavesNoPoolThreadInTheNamespace() async throws {
            try await withScratchNamespaces(1) { names async throws in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                _ = try await thread.run { usleep(6_500_000) }
                _ = try await thread.run { usleep(1000) }
                let strays = try HomeCheck.threadsOutside(NetnsIdentity.ofProcess())
                    .filter { !$0.contains("ns pntest") }
                #expect(strays.isEmpty)
            }
        }
    }
}

private func directoryExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

private func blockingWithNetns(_ name: NetnsName) throws -> NetnsIdentity {
    try withNetns(name) { try NetnsIdentity.ofCallingThread() }
}
