import Foundation
import Testing

/// `podnet exec` for real: as root, in a namespace the test makes and removes.
@Suite(.enabled(if: getuid() == 0, "needs root: creates a network namespace"), .serialized)
struct ExecCommandTests {
    @Test func runsInsideTheNamespaceAndPassesTheExitStatusOn() throws {
        let cluster = "pntestx\(Int.random(in: 1000...9999))"
        let namespace = "\(cluster).a0"
        #expect(try shell(["ip", "netns", "add", namespace]) == 0)
        defer { _ = try? shell(["ip", "netns", "del", namespace]) }

        let links = try PodnetBinary.run(["exec", "--cluster", cluster, "a0", "--", "ip", "-o", "link", "show"])
        #expect(links.status == 0)
        #expect(links.stdout.split(separator: "\n").count == 1, "only lo: \(links.stdout)")
        #expect(try PodnetBinary.run(["exec", "--cluster", cluster, "a0", "--", "sh", "-c", "exit 7"]).status == 7)
        #expect(try PodnetBinary.run(["exec", "--cluster", cluster, "a0", "--", "no-such-command-x"]).status == 127)
        let missing = try PodnetBinary.run(["exec", "--cluster", cluster, "b9", "--", "true"])
        #expect(missing.status == 125)
        #expect(missing.stderr.contains("no namespace \(cluster).b9"))
    }

    @Test func aTypoInTheMemberIsSuggested() throws {
        let outcome = try PodnetBinary.run(["exec", "-f", "topologies/lab.yaml", "a9", "--", "true"])
        #expect(outcome.status == 125)
        #expect(outcome.stderr.contains("did you mean"))
    }

    private func shell(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
