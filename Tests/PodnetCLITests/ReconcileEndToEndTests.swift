import Foundation
import Testing

/// diff and destroy against the real kernel: the cluster is built by running the
/// commands `podnet diff --output commands` prints (so iproute2 does the work, and
/// what podnet reads back must match what it planned), then checked with ping,
/// damaged by hand, and destroyed. Root only; the cluster name is one no user would pick.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct ReconcileEndToEndTests {
    func withCluster(example: String = "host-gw", _ body: (String, URL) throws -> Void) throws {
        try withTestCluster(example: example, body)
    }

    @Test func aClusterBuiltFromThePlanMatchesItAndWorks() throws {
        try withCluster { cluster, file in
            let commands = try PodnetBinary.run(["diff", "--output", "commands", file.path])
            #expect(commands.status == 0, "\(commands.stderr)")
            #expect(try sh("set -e\n" + commands.stdout).status == 0)

            let again = try PodnetBinary.run(["diff", "--detailed-exitcode", file.path])
            #expect(again.status == 0, "diff after building: \(again.stdout)")

            // Seed 003 §4.1: pods on different nodes reach each other through host-gw routes.
            // Built by hand, nothing waited for the kernel to make the new veths carry
            // traffic (podnet apply does): ping retries until a reply, for up to 3 s.
            #expect(try sh("ip netns exec \(cluster).a0 ping -c 1 -w 3 10.200.1.2").status == 0)
            #expect(try sh("ip netns exec \(cluster).a1 ping -c 1 -w 3 10.200.0.2").status == 0)

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

    /// Seed 003 §2–§4: each example applies, its pods reach each other with plain
    /// ping, a second apply does nothing, and destroy leaves no namespace behind.
    @Test(arguments: [
        ("pod-loopback", [("a", "127.0.0.1")]),
        ("veth-pair", [("a0", "10.200.0.3"), ("a1", "10.200.0.2")]),
        ("bridge", [("a0", "10.200.0.3"), ("a1", "10.200.0.2")]),
        ("host-gw", [("a0", "10.200.1.2"), ("a1", "10.200.0.2")]),
        // §4.3 and flannel's way: every direction between three nodes.
        ("vxlan-static", [("a0", "10.200.1.2"), ("a0", "10.200.2.2"), ("b", "10.200.0.2"),
                          ("b", "10.200.2.2"), ("c", "10.200.0.2"), ("c", "10.200.1.2")]),
        ("vxlan-multicast", [("a0", "10.200.1.2"), ("a1", "10.200.0.2")]),
    ])
    func exampleAppliesPingsAndDestroys(example: String, pings: [(String, String)]) throws {
        try withCluster(example: example) { cluster, file in
            let applied = try PodnetBinary.run(["apply", file.path])
            #expect(applied.status == 0, "\(applied.stderr)")
            // No veth end has its peer's ifindex: the kernel would take such a pair for
            // a link to itself and make it usable only up to a second later.
            let sameIndex = try sh("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip -n $n -o link show type veth | awk -v n=$n '{i=$1; sub(\":\",\"\",i); split($2,a,\"@if\"); sub(\":\",\"\",a[2]); if (i==a[2]) print n, $2}'; done").stdout
            #expect(sameIndex.isEmpty, "\(sameIndex)")
            for (pod, address) in pings {
                #expect(try sh("ip netns exec \(cluster).\(pod) ping -c 1 -W 2 \(address)").status == 0, "\(pod) → \(address)")
            }
            let again = try PodnetBinary.run(["apply", file.path])
            #expect(again.stdout.contains("nothing to do"), "\(again.stdout)")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            #expect(try PodnetBinary.run(["destroy", file.path]).status == 0)
            #expect(try sh("ip netns list | grep -c '^\(cluster)\\.' || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }

    /// Damage by hand, then apply repairs exactly that; a hand-made link survives.
    /// `apply -o json`: what was applied, for a pipeline; nothing the second time.
    @Test func applyReportsWhatItDidAsJSON() throws {
        struct Applied: Decodable {
            struct Summary: Decodable { var create: Int; var update: Int; var delete: Int }
            struct Item: Decodable { var action: String; var object: String; var commands: [String] }
            var cluster: String
            var summary: Summary
            var seconds: Double?
            var operations: [Item]
        }
        try withCluster { cluster, file in
            let first = try PodnetBinary.run(["apply", "-o", "json", file.path])
            #expect(first.status == 0, "\(first.stderr)")
            let applied = try JSONDecoder().decode(Applied.self, from: Data(first.stdout.utf8))
            #expect(applied.cluster == cluster)
            #expect(applied.summary.create > 0 && applied.summary.delete == 0)
            #expect(applied.operations.count == applied.summary.create + applied.summary.update)
            #expect(applied.operations.contains { $0.commands.first == "ip netns add \(cluster).a0" })
            #expect((applied.seconds ?? -1) > 0)
            let second = try PodnetBinary.run(["apply", "--output", "json", file.path])
            let nothing = try JSONDecoder().decode(Applied.self, from: Data(second.stdout.utf8))
            #expect(nothing.operations.isEmpty && nothing.summary.create == 0 && nothing.seconds == 0)
        }
    }

    @Test func applyRepairsDriftAndSparesForeignLinks() throws {
        try withCluster { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try sh("""
                ip -n \(cluster).a0 route del default &&
                ip -n \(cluster).node-0 addr flush dev br0 &&
                ip -n \(cluster).node-0 link del $(ip -n \(cluster).node-0 -o link show | grep -o 'veth[0-9a-f]*' | head -1) &&
                ip -n \(cluster).node-0 link add handmade type bridge
                """).status == 0)
            let drift = try PodnetBinary.run(["diff", "--detailed-exitcode", file.path])
            #expect(drift.status == 2)
            #expect(!drift.stdout.contains("handmade"))
            let repaired = try PodnetBinary.run(["apply", file.path])
            #expect(repaired.status == 0, "\(repaired.stderr)")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            #expect(try sh("ip netns exec \(cluster).a0 ping -c 1 -W 2 10.200.1.2").status == 0)
            #expect(try sh("ip -n \(cluster).node-0 link show handmade").status == 0)
        }
    }

    /// Adding a pod, removing one, changing one's IP: the plan holds only what is needed.
    @Test func topologyChangesPlanOnlyWhatIsNeeded() throws {
        try withCluster { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            let original = try String(contentsOf: file, encoding: .utf8)
            let changed = original.replacingOccurrences(of: "10.200.1.2", with: "10.200.1.9")
            try changed.write(to: file, atomically: true, encoding: .utf8)
            let diff = try PodnetBinary.run(["diff", "--output", "json", file.path])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
            let operations = try #require(json["operations"] as? [[String: Any]])
            #expect(operations.map { $0["action"] as? String } == ["delete", "create", "update"], "\(diff.stdout)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try sh("ip netns exec \(cluster).a0 ping -c 1 -W 2 10.200.1.9").status == 0)
        }
    }

    /// Removing a pod renumbers no other. a1 took its address by default; read from the
    /// file alone, a1 would now get the address a0 leaves free. apply renders first
    /// from the file, then must render again once the live assignments resolve it.
    @Test func removingAPodRenumbersNoOther() throws {
        try withCluster(example: "lab") { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            let address = "ip -n \(cluster).a1 -4 -o addr show dev eth0 | awk '{print $4}'"
            let before = try sh(address).stdout
            let original = try String(contentsOf: file, encoding: .utf8)
            try original.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("name: a0,") }
                .joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let diff = try PodnetBinary.run(["diff", "--output", "json", file.path])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
            let operations = try #require(json["operations"] as? [[String: Any]])
            #expect(operations.contains { $0["object"] as? String == "namespace \(cluster).a0" }, "\(diff.stdout)")
            #expect(!operations.contains { ($0["namespace"] as? String) == "\(cluster).a1" }, "\(diff.stdout)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try sh(address).stdout == before)
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
        }
    }

    /// The state an apply killed between making links and marking them leaves, made on
    /// purpose: a veth pair and the node's uplink pair without their aliases, a new
    /// bridge without its alias and address. The next apply takes them as its own and
    /// converges (they were called in the way, which a kill at the wrong moment hit).
    @Test func linksLeftUnmarkedByAnInterruptedApplyAreTakenBack() throws {
        try withCluster { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            let node = "\(cluster).node-0"
            let strip = [
                "ip -n \(node) link set eth0 alias ''",
                "ip -n \(cluster).underlay link show | grep -q . ",
                "for l in $(ip -n \(node) -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1); do ip -n \(node) link set $l alias ''; done",
                "ip -n \(cluster).a0 link set eth0 alias ''",
                "ip -n \(node) link del br0 && ip -n \(node) link add br0 type bridge",
            ]
            #expect(try sh(strip.joined(separator: " && ")).status == 0)
            let resumed = try PodnetBinary.run(["apply", file.path])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            #expect(try sh("ip netns exec \(cluster).a0 ping -c 1 -W 2 10.200.1.2").status == 0)
        }
    }

    /// An apply killed at an arbitrary point (kill -9) leaves a state the next apply
    /// converges from; and re-creating right after a destroy works although the kernel
    /// frees namespaces asynchronously.
    @Test func anInterruptedApplyConvergesOnTheNextOne() throws {
        let cluster = "pnt" + String(Int.random(in: 100_000...999_999))
        var text = "name: \(cluster)\nclusterCIDR: 10.200.0.0/16\nnetwork: { backend: host-gw }\nnodes:\n"
        for node in 0..<10 { text += "  - { name: node-\(node) }\n" }
        text += "pods:\n"
        for node in 0..<10 { for pod in 0..<8 { text += "  - { name: p\(node)-\(pod), node: node-\(node) }\n" } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer {
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            // A kill can leave empty unmarked namespaces, which destroy rightly leaves alone.
            _ = try? sh("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        for delay in [0.05, 0.15, 0.3] {
            let process = Process()
            process.executableURL = PodnetBinary.url
            process.arguments = ["apply", file.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let resumed = try PodnetBinary.run(["apply", file.path])
            #expect(resumed.status == 0, "after kill at \(delay) s: \(resumed.stderr)")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            #expect(try sh("ip netns exec \(cluster).p0-0 ping -c 1 -W 2 10.200.9.2").status == 0)
            #expect(try PodnetBinary.run(["destroy", file.path]).status == 0)
        }
    }

    /// One apply per cluster at a time: with the lock held, --no-wait fails clearly.
    @Test func aSecondApplyWithNoWaitFailsWhileTheClusterIsLocked() throws {
        try withCluster { cluster, file in
            // Hold the lock as another podnet would (flock on /run/podnet/CLUSTER.lock).
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
            holder.arguments = ["/run/podnet/\(cluster).lock", "sleep", "2"]
            try FileManager.default.createDirectory(atPath: "/run/podnet", withIntermediateDirectories: true)
            try holder.run()
            defer { holder.terminate(); holder.waitUntilExit() }
            Thread.sleep(forTimeInterval: 0.3)
            let refused = try PodnetBinary.run(["apply", "--no-wait", file.path])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("another podnet is applying or destroying it"))
            #expect(try sh("ip netns list | grep -c '^\(cluster)\\.' || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }

    @discardableResult
    func sh(_ script: String) throws -> (status: Int32, stdout: String) { try shell(script) }
}
