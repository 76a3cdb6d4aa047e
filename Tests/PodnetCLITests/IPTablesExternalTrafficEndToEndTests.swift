import Foundation
import Testing

/// topologies/nodeport-local.yaml in proxy mode iptables, through the binary: its lab
/// client `outside` connects to the nodes' NodePort as the example's comment says,
/// the policy switch converges with iptables changes only, and NodePorts stay where
/// a live cluster has them. Root only.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct IPTablesExternalTrafficEndToEndTests {
    func withLocalExample(_ edit: (String) -> String = { $0 }, _ body: (String, URL) throws -> Void) throws {
        try withTestCluster(example: "nodeport-local") { cluster, file in
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "mode: nftables", with: "mode: iptables")
            try edit(text).write(to: file, atomically: true, encoding: .utf8)
            try body(cluster, file)
        }
    }

    /// Servers in web-1 and web-2 answering each connection with their name and the
    /// address they saw; the body runs while they do. Each also ends by itself after
    /// `seconds` without a connection (the SIGTERM at the end need not reach it).
    func withServers(_ cluster: String, seconds: Int = 15, _ body: () throws -> Void) throws {
        let server = """
        import socket, sys
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 8080)); s.listen(128); s.settimeout(\(seconds))
        while True:
            try: c, peer = s.accept()
            except socket.timeout: break
            c.sendall((sys.argv[1] + " " + peer[0]).encode()); c.close()
        """
        var processes: [Process] = []
        defer { for process in processes { process.terminate(); process.waitUntilExit() } }
        for pod in ["web-1", "web-2"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", "\(cluster).\(pod)", "python3", "-c", server, pod]
            try process.run()
            processes.append(process)
        }
        try body()
    }

    /// What answered `count` connections from the client to `address:port`, by
    /// "POD SEEN-ADDRESS"; a connection that failed counts under its error.
    func answers(_ cluster: String, _ address: String, _ port: Int, _ count: Int, timeout: Int = 3) throws -> [String: Int] {
        let client = """
        import json, socket, time
        counts = {}
        for i in range(\(count)):
            for attempt in range(50 if i == 0 else 1):
                try:
                    s = socket.create_connection(("\(address)", \(port)), timeout=\(timeout)); key = s.recv(64).decode(); s.close(); break
                except ConnectionRefusedError:
                    key = "refused"; time.sleep(0.1)
                except OSError as e:
                    key = str(e); break
            counts[key] = counts.get(key, 0) + 1
        print(json.dumps(counts))
        """
        let run = try shell("ip netns exec \(cluster).outside python3 -c '\(client)'")
        return try JSONDecoder().decode([String: Int].self, from: Data(run.stdout.utf8))
    }

    @Test func theLocalExampleHoldsInIPTablesModeAndSwitchingToClusterConverges() throws {
        try withLocalExample { cluster, file in
            let diff = try PodnetBinary.run(["diff", "--output", "commands", file.path])
            #expect(diff.stdout.contains("ip netns exec \(cluster).node-1 iptables -t nat -A KUBE-NODEPORTS -p tcp -m comment --comment \"\(cluster)/web:80\" -m tcp --dport 30080 -j KUBE-EXT-"), "\(diff.stdout)")
            #expect(diff.stdout.contains("ip netns exec \(cluster).node-0 iptables -t filter -A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment \"\(cluster)/web:80 has no local endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP"), "\(diff.stdout)")
            let applied = try PodnetBinary.run(["apply", file.path])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            try withServers(cluster) {
                #expect(try answers(cluster, "192.168.64.5", 30080, 20) == ["web-1 192.168.64.7": 20])
                #expect(try answers(cluster, "192.168.64.6", 30080, 20) == ["web-2 192.168.64.7": 20])
                #expect(try answers(cluster, "192.168.64.4", 30080, 1) == ["timed out": 1], "dropped, not refused")

                let text = try String(contentsOf: file, encoding: .utf8)
                try text.replacingOccurrences(of: "externalTrafficPolicy: Local", with: "externalTrafficPolicy: Cluster")
                    .write(to: file, atomically: true, encoding: .utf8)
                let change = try PodnetBinary.run(["diff", "--output", "json", file.path])
                let json = try #require(try JSONSerialization.jsonObject(with: Data(change.stdout.utf8)) as? [String: Any])
                let objects = try #require(json["operations"] as? [[String: Any]]).compactMap { $0["object"] as? String }
                #expect(!objects.isEmpty && objects.allSatisfy { $0.hasPrefix("iptables ") }, "\(objects)")
                #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
                let spread = try answers(cluster, "192.168.64.4", 30080, 100)
                #expect(spread.values.reduce(0, +) == 100, "\(spread)")
                #expect(Set(spread.keys.map { $0.split(separator: " ")[0] }) == ["web-1", "web-2"], "\(spread)")
                #expect(!spread.keys.contains { $0.hasSuffix(" 192.168.64.7") }, "masqueraded to node-0: \(spread)")
            }
            #expect(try PodnetBinary.run(["destroy", file.path]).status == 0)
            #expect(try shell("ip netns list | grep -c '^\(cluster)\\.' || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }

    /// A NodePort and a ClusterIP allocated to a live service stay its own when a
    /// service declared before it, which would take them in a fresh allocation, is added.
    @Test func anAllocatedNodePortAndClusterIPStayWithTheirService() throws {
        let unwritten: (String) -> String = { $0.replacingOccurrences(of: ", nodePort: 30080 }", with: " }") }
        try withLocalExample(unwritten) { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            func nodePorts() throws -> String {
                try shell("ip netns exec \(cluster).node-1 iptables -t nat -S KUBE-NODEPORTS | grep -o 'comment \"[^\"]*\" -m tcp --dport [0-9]*' | sort").stdout
            }
            let before = try nodePorts()
            #expect(before == "comment \"\(cluster)/web:80\" -m tcp --dport 30000\n", "\(before)")
            let text = try String(contentsOf: file, encoding: .utf8)
            try text.replacingOccurrences(of: "services:\n", with: "services:\n  - { name: aaa, type: NodePort, selector: { app: web }, ports: [{ port: 81, targetPort: 8080 }] }\n")
                .write(to: file, atomically: true, encoding: .utf8)
            let diff = try PodnetBinary.run(["diff", "--output", "commands", file.path])
            #expect(!diff.stdout.contains("-D KUBE-NODEPORTS -p tcp -m comment --comment \"\(cluster)/web:80\""), "\(diff.stdout)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try nodePorts() == "comment \"\(cluster)/aaa:81\" -m tcp --dport 30001\ncomment \"\(cluster)/web:80\" -m tcp --dport 30000\n")
            let services = try shell("ip netns exec \(cluster).node-1 iptables -t nat -S KUBE-SERVICES").stdout
            #expect(services.contains("-d 10.96.0.1/32 -p tcp -m comment --comment \"\(cluster)/web:80 cluster IP\""), "\(services)")
            #expect(services.contains("-d 10.96.0.2/32 -p tcp -m comment --comment \"\(cluster)/aaa:81 cluster IP\""), "\(services)")
        }
    }
}
