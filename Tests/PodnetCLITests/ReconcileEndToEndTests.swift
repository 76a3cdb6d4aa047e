import Foundation
import Testing

/// diff and destroy against the real kernel: the cluster is built by running the
/// commands `podnet diff --output commands` prints (so iproute2 does the work, and
/// what podnet reads back must match what it planned), then checked with ping,
/// damaged by hand, and destroyed. Root only; the cluster name is one no user would pick.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct ReconcileEndToEndTests {
    func withCluster(_ body: (String, URL) throws -> Void) throws {
        let cluster = "pnt" + String(Int.random(in: 100_000...999_999))
        let example = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/host-gw.yaml"), encoding: .utf8)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
        try example.replacingOccurrences(of: "name: hostgw", with: "name: \(cluster)").write(to: file, atomically: true, encoding: .utf8)
        defer {
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            _ = try? sh("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        try body(cluster, file)
    }

    @Test func aClusterBuiltFromThePlanMatchesItAndWorks() throws {
        try withCluster { cluster, file in
            let commands = try PodnetBinary.run(["diff", "--output", "commands", file.path])
            #expect(commands.status == 0, "\(commands.stderr)")
            #expect(try sh("set -e\n" + commands.stdout).status == 0)

            let again = try PodnetBinary.run(["diff", "--detailed-exitcode", file.path])
            #expect(again.status == 0, "diff after building: \(again.stdout)")

            // Seed 003 §4.1: pods on different nodes reach each other through host-gw routes.
            #expect(try sh("ip netns exec \(cluster).a0 ping -c 1 -W 2 10.200.1.2").status == 0)
            #expect(try sh("ip netns exec \(cluster).a1 ping -c 1 -W 2 10.200.0.2").status == 0)

            // Drift made by hand is exactly what diff reports.
            #expect(try sh("ip -n \(cluster).a0 route del default").status == 0)
            #expect(try sh("ip -n \(cluster).node-0 link add handmade type bridge").status == 0)
            let drift = try PodnetBinary.run(["diff", "--detailed-exitcode", file.path])
            #expect(drift.status == 2)
            #expect(drift.stdout.contains("+ ip -n \(cluster).a0 route add default via 10.200.0.1 dev eth0"))
            #expect(drift.stdout.contains("1 to create, 0 to update, 0 to delete"))
            #expect(!drift.stdout.contains("handmade"))

            // destroy works from the kernel alone and spares an unmarked lookalike.
            #expect(try sh("ip netns add \(cluster).lookalike").status == 0)
            let destroyed = try PodnetBinary.run(["destroy", "--cluster", cluster])
            #expect(destroyed.status == 0)
            #expect(destroyed.stdout.contains("5 namespaces deleted"))
            let left = try sh("ip netns list | awk '{print $1}' | grep '^\(cluster)\\.' || true").stdout
            #expect(left.split(separator: "\n").map(String.init) == ["\(cluster).lookalike"])
        }
    }

    @discardableResult
    func sh(_ script: String) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
