import Foundation
import Testing

/// NetworkPolicy over IPv6, for real: a dual-stack three-node lab (host-gw, static VXLAN) with a
/// default-deny, an allow-from-label, an egress policy, IPv6 ipBlocks and a
/// dual-stack service. `podnet check` must find both policy matrices (and the
/// service through each ClusterIP, filtered per family) as the model says, and plain
/// `nc` connections over IPv6 must pass or time out as the policies say: an IPv6
/// ipBlock admits IPv6 and not IPv4, pods of one bridge keep finding each other
/// (neighbour discovery passes the policies). Root only; clusters pnp6NNNNNN.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct DualStackPolicyEndToEndTests {
    /// a0 10.200.0.2 / fd00:200::2, a1 .0.3 / fd00:200::3 (both node-0, one bridge),
    /// b 10.200.1.2 / fd00:200:0:1::2, c 10.200.2.2 / fd00:200:0:2::2.
    static let topology = """
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
      - { name: node-2 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: a1, node: node-0, labels: { app: client } }
      - { name: b, node: node-1, labels: { app: db } }
      - { name: c, node: node-2, labels: { app: other } }
    networkPolicies:
      - { name: default-deny, podSelector: {}, policyTypes: [Ingress] }
      - name: db-from-clients
        podSelector: { matchLabels: { app: db } }
        ingress: [{ from: [{ podSelector: { matchLabels: { app: client } } }] }]
      - name: web-in
        podSelector: { matchLabels: { app: web } }
        ingress:
          - from: [{ podSelector: { matchLabels: { app: client } } }]
            ports: [{ port: 80 }]
          - from: [{ ipBlock: { cidr: "fd00:200:0:2::/64" } }]
            ports: [{ port: 80 }]
      - name: client-out
        podSelector: { matchLabels: { app: client } }
        policyTypes: [Egress]
        egress:
          - to: [{ podSelector: { matchLabels: { app: db } } }]
          - to: [{ ipBlock: { cidr: "fd00:200::/64", except: ["fd00:200::3/128"] } }]
            ports: [{ port: 80 }]
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 8080, targetPort: 80 }] }
    """

    func withCluster(network: String, _ body: (String, URL) throws -> Void) throws {
        let cluster = "pnp6" + String(Int.random(in: 100_000...999_999))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
        try ("name: \(cluster)\n" + Self.topology + "\n").write(to: file, atomically: true, encoding: .utf8)
        try replaceNetwork(of: file, with: network)
        defer {
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        let applied = try PodnetBinary.run(["apply", file.path])
        try #require(applied.status == 0, "\(applied.stderr)")
        try body(cluster, file)
    }

    /// `nc` listening on `address` and `port` in a pod's namespace (an address of
    /// one family each, so that an IPv4 and an IPv6 listener share a port).
    func withListener(_ cluster: String, _ pod: String, _ address: String, port: Int, _ body: () throws -> Void) throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        server.arguments = ["netns", "exec", "\(cluster).\(pod)", "nc", address.contains(":") ? "-6" : "-4", "-l", "-k", address, String(port)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: the test process blocks SIGTERM, and Foundation's Process passes that on.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let local = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        for _ in 0..<100 {
            if try shell("ip netns exec \(cluster).\(pod) ss -Hltn").stdout.contains(local) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try body()
    }

    /// A TCP connection from a pod to an address: "connected", "timed out" (what a
    /// policy's drop looks like) or "refused".
    func connect(_ cluster: String, from pod: String, to address: String, port: Int) throws -> String {
        let family = address.contains(":") ? "6" : "4"
        let run = try shell("ip netns exec \(cluster).\(pod) nc -\(family) -v -z -w 2 \(address) \(port) 2>&1")
        if run.status == 0 { return "connected" }
        if run.stdout.contains("timed out") { return "timed out" }
        if run.stdout.contains("refused") { return "refused" }
        return run.stdout
    }

    /// Routed between nodes over host-gw (IPv6 via the nodes' IPv6 addresses) and
    /// static VXLAN (IPv6 inside frames over the IPv4 underlay); bridged on node-0.
    @Test(arguments: ["host-gw", "vxlan-static"])
    func bothPolicyMatricesHoldAndIPv6IsFilteredForReal(backend: String) throws {
        try withCluster(network: DualStackEndToEndTests.networks[backend]!) { cluster, file in
            // Applied as planned: nothing left to do (the table read back equals the rendered one).
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            // The bridged IPv6 frames cross the IP hooks.
            #expect(try shell("ip netns exec \(cluster).node-0 sysctl -n net.bridge.bridge-nf-call-ip6tables").stdout.hasPrefix("1"))
            let checked = try PodnetBinary.run(["check", file.path])
            #expect(checked.status == 0, "\(checked.stdout)\n\(checked.stderr)")
            #expect(checked.stdout.contains("NetworkPolicy over IPv6: a connection from inside each pod to every pod's IPv6 address"), "\(checked.stdout)")
            #expect(checked.stdout.contains("64 policy probes, 64 IPv6 policy probes and 8 service checks as expected"), "\(checked.stdout)")
            // The service through each ClusterIP, judged at its endpoint a0 in the
            // connection's family: c is let in over IPv6 only (the IPv6 block).
            let services = try #require(try JSONSerialization.jsonObject(with: Data(try PodnetBinary.run(["check", "--services-only", "-o", "json", file.path]).stdout.utf8)) as? [String: Any])
            #expect(services["ok"] as? Bool == true, "\(services["failures"] ?? "")")
            let rows = ((services["services"] as? [String: Any])?["results"] as? [[String: Any]]) ?? []
            func expected(from pod: String, _ address: String) -> [String] {
                rows.filter { $0["from"] as? String == pod && $0["address"] as? String == address }.compactMap { $0["expected"] as? String }
            }
            #expect(expected(from: "c", "fd00:96::1") == ["answer"], "\(rows)")
            #expect(expected(from: "c", "10.96.0.1") == ["answerAllowedDropOthers"], "\(rows)")
            // a1's egress reaches a0 through client-out's IPv6 block alone.
            #expect(expected(from: "a1", "fd00:96::1") == ["answer"] && expected(from: "a1", "10.96.0.1") == ["answerAllowedDropOthers"])
            #expect(expected(from: "b", "fd00:96::1") == ["answerAllowedDropOthers"])

            let machine = try #require(try JSONSerialization.jsonObject(with: Data(try PodnetBinary.run(["check", "--pods-only", "-o", "json", file.path]).stdout.utf8)) as? [String: Any])
            #expect(machine["ok"] as? Bool == true, "\(machine["failures"] ?? "")")
            let v4 = try #require(machine["networkPolicy"] as? [String: Any])
            let v6 = try #require(machine["networkPolicyIPv6"] as? [String: Any])
            func results(_ section: [String: Any], _ from: String, _ to: String, _ port: Int) -> [String] {
                ((section["results"] as? [[String: Any]]) ?? []).filter {
                    $0["from"] as? String == from && $0["to"] as? String == to && $0["port"] as? Int == port && $0["protocol"] as? String == "TCP"
                }.compactMap { $0["expected"] as? String }
            }
            // The IPv6 ipBlock: c reaches a0 on 80 over IPv6 only.
            #expect(results(v6, "c", "a0", 80) == ["allow"])
            #expect(results(v4, "c", "a0", 80) == ["deny"])
            // Selectors alike in both families.
            #expect(results(v6, "a1", "b", 81) == ["allow"] && results(v4, "a1", "b", 81) == ["allow"])
            #expect(results(v6, "c", "b", 80) == ["deny"] && results(v4, "c", "b", 80) == ["deny"])
            #expect((v6["asExpected"] as? Int) == (v6["probes"] as? Int))
            let denied = ((v6["results"] as? [[String: Any]]) ?? []).filter { $0["expected"] as? String == "deny" }.count
            #expect(denied >= 20, "only \(denied) IPv6 probes denied")

            // show: each isolated pod at each of its addresses, the peer sets of both families.
            let shown = try PodnetBinary.run(["show", "--cluster", cluster, "-o", "json"])
            let live = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any], "\(shown.stderr)")
            let view = try #require(live["networkPolicy"] as? [String: Any])
            let isolated = (view["isolatedPods"] as? [[String: Any]]) ?? []
            #expect(Set(isolated.filter { $0["pod"] as? String == "b" }.compactMap { $0["address"] as? String }) == ["10.200.1.2", "fd00:200:0:1::2"], "\(isolated)")
            let setNames = ((view["sets"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
            #expect(setNames.contains { $0.hasPrefix("pods6-") } && !setNames.contains { $0.hasSuffix("-pods6") || $0.hasSuffix("-pods") }, "\(setNames)")

            try withListener(cluster, "b", "fd00:200:0:1::2", port: 9000) { () throws in
                #expect(try connect(cluster, from: "a1", to: "fd00:200:0:1::2", port: 9000) == "connected")  // client → db
                #expect(try connect(cluster, from: "c", to: "fd00:200:0:1::2", port: 9000) == "timed out")  // default deny
                #expect(try connect(cluster, from: "a0", to: "fd00:200:0:1::2", port: 9000) == "timed out")
            }
            try withListener(cluster, "a0", "fd00:200::2", port: 80) { () throws in
                try withListener(cluster, "a0", "10.200.0.2", port: 80) { () throws in
                    #expect(try connect(cluster, from: "c", to: "fd00:200::2", port: 80) == "connected")  // the IPv6 ipBlock
                    #expect(try connect(cluster, from: "c", to: "10.200.0.2", port: 80) == "timed out")  // no IPv4 block
                    // a1 and a0 share node-0's bridge, both isolated: with their
                    // neighbours forgotten, a1 finds a0 again (ND is let by) and
                    // connects over IPv6 (client-out's IPv6 block, web-in's selector);
                    // over IPv4 the IPv6 block allows nothing.
                    #expect(try shell("ip -n \(cluster).a1 neigh flush all && ip -n \(cluster).a0 neigh flush all").status == 0)
                    #expect(try connect(cluster, from: "a1", to: "fd00:200::2", port: 80) == "connected")
                    #expect(try connect(cluster, from: "a1", to: "10.200.0.2", port: 80) == "timed out")
                }
            }
        }
    }
}
