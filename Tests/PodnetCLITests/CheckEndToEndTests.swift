import Foundation
import Testing

/// `podnet check` against applied clusters. Root only; clusters are named `pnt` +
/// six digits and always destroyed.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct CheckEndToEndTests {
    /// Two host-gw nodes, web endpoints a0 and b0 (TCP 80 → 8080, UDP 53), and a
    /// service without endpoints.
    static let services = """
    name: NAME
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: a1, node: node-0 }
      - { name: b0, node: node-1, labels: { app: web } }
      - { name: b1, node: node-1 }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: UDP }] }
      - { name: empty, endpoints: [], ports: [{ port: 82 }] }
    """

    /// Bridged pods on two nodes, and a linked pair on a bridge-less third.
    static let mixed = """
    name: NAME
    clusterCIDR: 10.200.0.0/16
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
      - { name: node-2, bridge: none }
    pods:
      - { name: a0, node: node-0 }
      - { name: b0, node: node-1 }
      - { name: l0, node: node-2 }
      - { name: l1, node: node-2 }
    links:
      - { pods: [l0, l1] }
    """

    /// A topology (an example's name, or text with `NAME`) under a fresh test-only
    /// cluster name, applied unless `apply` is false; always destroyed.
    func withCluster(example: String? = nil, text: String? = nil, apply: Bool = true, _ body: (String, URL) throws -> Void) throws {
        let cluster = "pnt" + String(Int.random(in: 100_000...999_999))
        var source = text ?? ""
        if let example {
            source = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/\(example).yaml"), encoding: .utf8)
        }
        let renamed = source.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("name: ") ? "name: \(cluster)" : String($0) }.joined(separator: "\n")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
        try renamed.write(to: file, atomically: true, encoding: .utf8)
        defer {
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            _ = try? sh("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        if apply {
            let applied = try PodnetBinary.run(["apply", file.path])
            try #require(applied.status == 0, "\(applied.stderr)")
        }
        try body(cluster, file)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aHostGWClusterShowsAFullMatrixAndABrokenRouteIsNamed() throws {
        try withCluster(example: "host-gw") { cluster, file in
            let checked = try PodnetBinary.run(["check", file.path])
            #expect(checked.status == 0, "\(checked.stdout)\n\(checked.stderr)")
            #expect(checked.stdout.contains("  1 a0 ✓ ✓\n  2 a1 ✓ ✓"), "\(checked.stdout)")
            #expect(checked.stdout.contains("ok: cluster \(cluster): all 4 pod pairs as expected"))

            let machine = try json(try PodnetBinary.run(["check", "-o", "json", file.path]).stdout)
            #expect(machine["ok"] as? Bool == true)
            let pods = try #require(machine["podToPod"] as? [String: Any])
            #expect(pods["pairs"] as? Int == 4)
            #expect(pods["asExpected"] as? Int == 4)
            #expect(machine["services"] == nil)

            // Break it by hand: a0 loses its default route.
            #expect(try sh("ip -n \(cluster).a0 route del default").status == 0)
            let broken = try PodnetBinary.run(["check", file.path])
            #expect(broken.status == 1)
            #expect(broken.stdout.contains("  1 a0 ✓ ✗\n  2 a1 ✗ ✓"), "\(broken.stdout)")
            #expect(broken.stdout.contains("FAILED: cluster \(cluster): 2 of 4 pod pairs"))
            #expect(broken.stdout.contains("a0 → a1 (10.200.1.2): unreachable: no route (Network is unreachable)"))
            // a1's echo reaches a0, whose reply has no way back.
            #expect(broken.stdout.contains("a1 → a0 (10.200.0.2): no answer within 1 s"))
            #expect(broken.stderr.contains("the kernel differs from the file in 1 place"))

            // apply repairs it, and check agrees.
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try PodnetBinary.run(["check", file.path]).status == 0)
        }
    }

    @Test func linkedPodsOfABridgelessNodeReachOnlyEachOther() throws {
        try withCluster(text: Self.mixed) { _, file in
            let checked = try PodnetBinary.run(["check", file.path])
            #expect(checked.status == 0, "\(checked.stdout)\n\(checked.stderr)")
            #expect(checked.stdout.contains("""
                  1 a0 ✓ ✓ · ·
                  2 b0 ✓ ✓ · ·
                  3 l0 · · ✓ ✓
                  4 l1 · · ✓ ✓
                """), "\(checked.stdout)")
        }
    }

    /// Services are not load-balanced on this branch yet, so the nodes get a proxy
    /// by hand, the way kube-proxy's nftables mode does it at heart: DNAT to a
    /// random endpoint, masquerade what was DNATed (hairpin included). The service
    /// CIDR is routed locally on the nodes, so a port nothing answers is refused.
    static func handMadeProxy(_ cluster: String) -> String {
        let rules = """
        table ip pntfakeproxy {
          chain prerouting {
            type nat hook prerouting priority -100;
            ip daddr 10.96.0.1 tcp dport 80 dnat to numgen random mod 2 map { 0 : 10.200.0.2, 1 : 10.200.1.2 } : 8080
            ip daddr 10.96.0.1 udp dport 53 dnat to numgen random mod 2 map { 0 : 10.200.0.2, 1 : 10.200.1.2 } : 53
          }
          chain postrouting { type nat hook postrouting priority 100; ct status dnat masquerade; }
        }
        """
        return ["node-0", "node-1"].map { node in
            "ip -n \(cluster).\(node) route add local 10.96.0.0/12 dev lo && ip netns exec \(cluster).\(node) nft -f - <<'EOF'\n\(rules)\nEOF"
        }.joined(separator: "\n")
    }

    @Test func servicesAnswerFromTheirEndpointsThroughAProxyAndListenersAreGoneAfterwards() throws {
        try withCluster(text: Self.services) { cluster, file in
            #expect(try sh(Self.handMadeProxy(cluster)).status == 0)
            let checked = try PodnetBinary.run(["check", "--services-only", "-o", "json", file.path])
            #expect(checked.status == 0, "\(checked.stdout)\n\(checked.stderr)")
            let machine = try json(checked.stdout)
            #expect(machine["podToPod"] == nil)
            let services = try #require(machine["services"] as? [String: Any])
            let rows = try #require(services["results"] as? [[String: Any]])
            #expect(rows.count == 12)  // 3 service ports × 4 pods
            #expect(rows.allSatisfy { $0["ok"] as? Bool == true })
            // Both endpoints answered, over all pods: 80 connections to each port.
            let targets = try #require(services["targets"] as? [[String: Any]])
            for target in targets.prefix(2) {
                let answers = try #require(target["answers"] as? [String: Int])
                #expect(Set(answers.keys) == ["a0", "b0"], "\(target)")
                #expect(answers.values.reduce(0, +) == 80)
            }
            let empty = rows.filter { $0["service"] as? String == "empty" }
            #expect(empty.map { $0["expected"] as? String } == Array(repeating: "reject", count: 4))
            #expect(empty.allSatisfy { ($0["refused"] as? Int ?? 0) > 0 })

            // The text shows the shares per pod.
            let text = try PodnetBinary.run(["check", "--services-only", "--connections", "10", file.path])
            #expect(text.status == 0)
            #expect(text.stdout.contains("web:80      10.96.0.1:80  a0    a0, b0"), "\(text.stdout)")

            // The listeners were sockets of podnet's process: nothing listens any more.
            let listening = try sh("ip netns exec \(cluster).a0 ss -Htuln").stdout
            #expect(listening.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(listening)")
        }
    }

    @Test func endpointsAreProbedDirectlyWithViaEndpoints() throws {
        try withCluster(text: Self.services) { _, file in
            let checked = try PodnetBinary.run(["check", "--via", "endpoints", file.path])
            #expect(checked.status == 0, "\(checked.stdout)\n\(checked.stderr)")
            #expect(checked.stdout.contains("web:80 via a0      10.200.0.2:8080  b1    a0        a0 100%"), "\(checked.stdout)")
            #expect(checked.stdout.contains("web:53/UDP via b0  10.200.1.2:53    a0    b0        b0 100%"), "\(checked.stdout)")
        }
    }

    /// With podnet's proxy the services answer and the endpointless one is refused; with
    /// the proxy's table deleted by hand on node-0, its pods' service checks fail by name.
    @Test func withoutAProxyServicesFailAndTheEndpointlessOneIsExpectedRejected() throws {
        try withCluster(text: Self.services) { cluster, file in
            let proxied = try PodnetBinary.run(["check", "--services-only", "--connections", "10", file.path])
            #expect(proxied.status == 0, "\(proxied.stdout)")
            #expect(try sh("ip netns exec \(cluster).node-0 nft delete table ip podnet-\(cluster)").status == 0)
            let checked = try PodnetBinary.run(["check", "--services-only", "--connections", "2", "-o", "json", file.path])
            #expect(checked.status == 1)
            let machine = try json(checked.stdout)
            let rows = try #require((machine["services"] as? [String: Any])?["results"] as? [[String: Any]])
            let empty = rows.filter { $0["service"] as? String == "empty" }
            #expect(empty.count == 4)
            #expect(empty.allSatisfy { $0["expected"] as? String == "reject" && ($0["expectedAnswerers"] as? [String])?.isEmpty == true })
            // node-0's pods lost the proxy; node-1's still have it.
            let broken = empty.filter { ["a0", "a1"].contains($0["from"] as? String ?? "") }
            #expect(broken.count == 2)
            #expect(broken.allSatisfy { ($0["problem"] as? String)?.contains("with no endpoints, every connection must be refused at once") == true })
            #expect(empty.filter { ["b0", "b1"].contains($0["from"] as? String ?? "") }.allSatisfy { $0["ok"] as? Bool == true })
            let failures = try #require(machine["failures"] as? [String])
            #expect(failures.contains { $0.hasPrefix("web:80 at 10.96.0.1:80 from a0: ") })
        }
    }

    @Test func aPortTakenByAnotherServerStopsTheServiceCheck() throws {
        try withCluster(text: Self.services) { cluster, file in
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            server.arguments = ["netns", "exec", "\(cluster).a0", "nc", "-l", "-p", "8080"]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            // SIGKILL: the test process blocks SIGTERM, and Foundation's Process passes that on.
            defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
            var waited = 0
            while waited < 100, !(try sh("ip netns exec \(cluster).a0 ss -Hltn 'sport = :8080'").stdout.contains("8080")) {
                Thread.sleep(forTimeInterval: 0.05)
                waited += 1
            }
            let checked = try PodnetBinary.run(["check", "--via", "endpoints", file.path])
            #expect(checked.status == 1)
            #expect(checked.stderr.contains("TCP port 8080 is already in use in /run/netns/\(cluster).a0"), "\(checked.stderr)")
            // The server is untouched, and podnet's other listeners are closed again.
            #expect(try sh("ip netns exec \(cluster).a0 ss -Hltn 'sport = :8080'").stdout.contains("8080"))
            #expect(try sh("ip netns exec \(cluster).b0 ss -Htuln").stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
    }

    /// ^C in the middle of a service check: the process dies, and its listeners
    /// with it. Services are not load-balanced here, so the check waits out its
    /// (long) timeout while its listeners are up.
    @Test func anInterruptedCheckLeavesNoListenerBehind() throws {
        try withCluster(text: Self.services) { cluster, file in
            let check = Process()
            // The test process blocks SIGINT, and Foundation's Process passes the
            // mask on; a user's shell does not, so unblock it as the shell would.
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = ["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                               PodnetBinary.url.path, "check", "--services-only", "--timeout", "20", file.path]
            check.standardOutput = FileHandle.nullDevice
            check.standardError = FileHandle.nullDevice
            try check.run()
            defer { if check.isRunning { kill(check.processIdentifier, SIGKILL); check.waitUntilExit() } }
            var waited = 0
            while waited < 200, !(try sh("ip netns exec \(cluster).a0 ss -Hltn 'sport = :8080'").stdout.contains("8080")) {
                Thread.sleep(forTimeInterval: 0.05)
                waited += 1
            }
            #expect(try sh("ip netns exec \(cluster).b0 ss -Hltn 'sport = :8080'").stdout.contains("8080"), "the check's listener never came up")
            kill(check.processIdentifier, SIGINT)
            check.waitUntilExit()
            #expect(check.terminationReason == .uncaughtSignal)
            #expect(check.terminationStatus == SIGINT)
            for pod in ["a0", "b0"] {
                #expect(try sh("ip netns exec \(cluster).\(pod) ss -Htuln").stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            }
        }
    }

    @Test func aClusterThatIsNotAppliedIsSaidSo() throws {
        try withCluster(example: "host-gw", apply: false) { cluster, file in
            let checked = try PodnetBinary.run(["check", file.path])
            #expect(checked.status == 1)
            #expect(checked.stderr.contains("cluster '\(cluster)' is not applied"))
        }
    }

    @Test func usageMistakesExit64() throws {
        #expect(try PodnetBinary.run(["check", "--pods-only", "--services-only", "topologies/host-gw.yaml"]).status == 64)
        #expect(try PodnetBinary.run(["check", "--connections", "0", "topologies/host-gw.yaml"]).status == 64)
        #expect(try PodnetBinary.run(["check", "--via", "magic", "topologies/host-gw.yaml"]).status == 64)
    }

    @discardableResult
    func sh(_ script: String) throws -> (status: Int32, stdout: String) { try shell(script) }
}
