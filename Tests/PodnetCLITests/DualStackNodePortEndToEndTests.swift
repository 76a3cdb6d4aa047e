import Foundation
import Testing

/// NodePorts over IPv6, for real: a dual-stack cluster (host-gw over a dual-stack
/// underlay), a lab client `outside` with an address of each family, and web's
/// endpoints web-1 on node-1 and web-2 on node-2, none on node-0. The client
/// connects to each node's IPv6 address at the NodePort; each endpoint answers with
/// its name and the address it saw. Root only; clusters are named `pnn6` + six
/// digits, their servers stopped and namespaces removed however the test ends.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct DualStackNodePortEndToEndTests {
    static func yaml(_ cluster: String, mode: String, policy: String) -> String {
        """
        name: \(cluster)
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
        network: { backend: host-gw }
        proxy: { mode: \(mode) }
        nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]
        clients: [{ name: outside }]
        pods:
          - { name: web-1, node: node-1, labels: { app: web } }
          - { name: web-2, node: node-2, labels: { app: web } }
        services:
          - name: web
            type: NodePort
            externalTrafficPolicy: \(policy)
            selector: { app: web }
            ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
        """
    }

    /// Answers each connection with "NAME PEER-ADDRESS", on [::]:8080 (IPv6 only).
    static let server = """
    import socket, sys
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", 8080)); s.listen(64)
    while True:
        c, peer = s.accept()
        c.sendall(("%s %s\\n" % (sys.argv[1], peer[0])).encode()); c.close()
    """

    /// COUNT connections to [ADDRESS]:PORT: "NAME PEER" per answer, "timeout" or "refused".
    static let client = """
    import socket, sys
    for _ in range(int(sys.argv[3])):
        c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); c.settimeout(0.5)
        try:
            c.connect((sys.argv[1], int(sys.argv[2]))); print(c.recv(100).decode().strip())
        except socket.timeout: print("timeout")
        except ConnectionRefusedError: print("refused")
        finally: c.close()
    """

    /// - Parameter servers: whether the endpoints get the test's servers (not for
    ///   `podnet check`, which brings listeners of its own).
    func withCluster(mode: String, policy: String, servers startsServers: Bool = true, _ body: (String) throws -> Void) throws {
        let cluster = "pnn6" + String(Int.random(in: 100_000...999_999))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
        try Self.yaml(cluster, mode: mode, policy: policy).write(to: file, atomically: true, encoding: .utf8)
        var servers: [Process] = []
        defer {
            // Servers would live on in a deleted namespace: stop them first.
            // SIGKILL: the test runner's children may inherit SIGTERM blocked.
            for server in servers where server.isRunning {
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        let applied = try PodnetBinary.run(["apply", file.path])
        try #require(applied.status == 0, "\(applied.stderr)")
        for pod in ["web-1", "web-2"] where startsServers {
            // A process of its own, not a shell's background job: that would hold the
            // shell's output pipe open, and `shell` would wait for it.
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            server.arguments = ["netns", "exec", "\(cluster).\(pod)", "python3", "-c", Self.server, pod]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            servers.append(server)
        }
        // Until both listen.
        _ = try shell("for i in $(seq 50); do ip netns exec \(cluster).web-1 ss -ltn | grep -q 8080 && ip netns exec \(cluster).web-2 ss -ltn | grep -q 8080 && break; sleep 0.1; done")
        try body(cluster)
    }

    /// Answers by line, from the client to [ADDRESS]:30080.
    func connect(_ cluster: String, to address: String, count: Int) throws -> [String: Int] {
        let run = try shell("ip netns exec \(cluster).outside python3 -c '\(Self.client)' \(address) 30080 \(count)")
        return run.stdout.split(separator: "\n").reduce(into: [:]) { $0[String($1), default: 0] += 1 }
    }

    /// `Cluster`: every node's IPv6 address serves the NodePort, any endpoint answers
    /// (about half each), and sees the receiving node's address (masqueraded), never the client's.
    @Test(arguments: ["nftables", "iptables"])
    func clusterPolicySpreadsAndMasqueradesOverIPv6(mode: String) throws {
        try withCluster(mode: mode, policy: "Cluster") { cluster in
            let clientAddress = try shell("ip -n \(cluster).outside -6 -o addr show dev eth0 scope global").stdout
            #expect(clientAddress.contains("fd00:64::7/64"), "\(clientAddress)")
            for (node, address) in [("node-0", "fd00:64::4"), ("node-1", "fd00:64::5")] {
                let answers = try connect(cluster, to: address, count: 40)
                #expect(answers.values.reduce(0, +) == 40 && answers["timeout"] == nil && answers["refused"] == nil, "\(mode) \(node): \(answers)")
                let byEndpoint = answers.reduce(into: [String: Int]()) { $0[String($1.key.split(separator: " ")[0]), default: 0] += $1.value }
                #expect(Set(byEndpoint.keys) == ["web-1", "web-2"], "\(mode) \(node): \(answers)")
                #expect(!answers.keys.contains { $0.hasSuffix(" fd00:64::7") }, "\(mode) \(node): the client's address reached an endpoint: \(answers)")
                let nodeAddresses = try shell("ip -n \(cluster).\(node) -6 -o addr show scope global | awk '{print $4}' | cut -d/ -f1").stdout
                    .split(separator: "\n").map(String.init)
                for seen in answers.keys.map({ String($0.split(separator: " ")[1]) }) {
                    #expect(nodeAddresses.contains(seen), "\(mode) \(node): \(seen) is no address of \(node) (\(nodeAddresses))")
                }
            }
        }
    }

    /// `Local`: a node answers with its own endpoint only, which sees the client's own
    /// IPv6 address; a node without one drops the connection (no answer, no refusal).
    @Test(arguments: ["nftables", "iptables"])
    func localPolicyKeepsTheClientsIPv6Address(mode: String) throws {
        try withCluster(mode: mode, policy: "Local") { cluster in
            let (atNode1, atNode2) = (try connect(cluster, to: "fd00:64::5", count: 20), try connect(cluster, to: "fd00:64::6", count: 20))
            #expect(atNode1 == ["web-1 fd00:64::7": 20], "\(mode): \(atNode1)")
            #expect(atNode2 == ["web-2 fd00:64::7": 20], "\(mode): \(atNode2)")
            let atNode0 = try connect(cluster, to: "fd00:64::4", count: 2)
            #expect(atNode0 == ["timeout": 2], "\(mode): \(atNode0)")
        }
    }
}

extension DualStackNodePortEndToEndTests {
    /// `podnet check` probes each NodePort at every node's IPv6 address too, from every
    /// pod and the client, and finds what the policy says (here the dual-stack lab of
    /// the tests above, each policy in each mode).
    @Test(arguments: ["nftables", "iptables"], ["Cluster", "Local"])
    func checkProbesTheNodePortsOverIPv6(mode: String, policy: String) throws {
        try withCluster(mode: mode, policy: policy, servers: false) { cluster in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
            let run = try PodnetBinary.run(["check", "--services-only", "--connections", "10", "-o", "json", file.path])
            #expect(run.status == 0, "\(mode) \(policy): \(run.stdout.suffix(2000))\n\(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let results = try #require((json["external"] as? [String: Any])?["results"] as? [[String: Any]])
            let ipv6 = results.filter { ($0["address"] as? String)?.hasPrefix("fd00:64::") == true }
            // 3 nodes × 3 sources (web-1, web-2, outside).
            #expect(ipv6.count == 9, "\(results.map { $0["address"] ?? "" })")
            #expect(ipv6.allSatisfy { $0["ok"] as? Bool == true })
            if policy == "Local" {
                let kept = ipv6.first { $0["from"] as? String == "outside" && $0["node"] as? String == "node-1" }
                #expect((kept?["sources"] as? [String: Int])?.keys.sorted() == ["fd00:64::7"], "\(kept ?? [:])")
            }
        }
    }
}
