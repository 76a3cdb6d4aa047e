@testable import PodnetKernel
import Testing

extension KernelTests {
    @Suite struct NetnsScaleTests {
        /// 200 namespaces: made, listed, entered once each, deleted. Timings are printed,
        /// never asserted (benchmarks are programs; this only shows the order of magnitude).
        @Test func twoHundredNamespaces() throws {
            let directory = NetnsDirectory()
            let names = (0..<200).map { _ in TestNames.fresh() }
            var made: [NetnsName] = []
            defer { cleanUp(made, in: directory) }
            let clock = ContinuousClock()

            let adding = try clock.measure {
                for name in names {
                    try directory.add(name)
                    made.append(name)
                }
            }
            let listed = Set(try ipNetnsList())
            #expect(names.allSatisfy { listed.contains($0.rawValue) })

            var identities = Set<NetnsIdentity>()
            let entering = try clock.measure {
                for name in names {
                    identities.insert(try withNetns(name) { try NetnsIdentity.ofCallingThread() })
                }
            }
            #expect(identities.count == names.count)

            let deleting = try clock.measure {
                for name in names { try directory.delete(name) }
            }
            made.removeAll()
            #expect(try directory.list().filter { $0.rawValue.hasPrefix(TestNames.prefix) }.isEmpty)

            print("""
                200 namespaces: add \(adding) (\(adding / 200) each), \
                withNetns \(entering) (\(entering / 200) each), delete \(deleting) (\(deleting / 200) each)
                """)
        }

        /// Per-operation costs worth knowing when choosing between the APIs (printed only).
        @Test func operationCosts() async throws {
            try await withScratchNamespaces(1) { names async throws in
                let clock = ContinuousClock()
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let rounds = 1000
                let asyncRun = try await clock.measure {
                    for _ in 0..<rounds { _ = try await thread.run { 1 } }
                }
                let blockingRun = try await Task.detached {
                    try clock.measure { for _ in 0..<rounds { _ = try blockingOne(thread) } }
                }.value
                let execHost = try await clock.measure {
                    for _ in 0..<20 { _ = try await thread.exec(Command(["true"]), sysfs: .host) }
                }
                let execNamespace = try await clock.measure {
                    for _ in 0..<20 { _ = try await thread.exec(Command(["true"]), sysfs: .namespace) }
                }
                print("""
                    run round trip: async \(asyncRun / rounds), blocking \(blockingRun / rounds); \
                    exec `true`: host sysfs \(execHost / 20), namespace sysfs \(execNamespace / 20)
                    """)
            }
        }
    }
}

private func blockingOne(_ thread: NetnsThread) throws -> Int { try thread.run { 1 } }
