import Foundation
import Testing

/// Traffic from outside, measured by `podnet check` on the examples applied in
/// nftables and iptables mode (IPVS: the full-kernel lane): three nodes, a lab client `outside` (192.168.64.7), a NodePort
/// service web with endpoints on node-1 and node-2, none on node-0. Root only;
/// clusters are named `pnt4x` + five digits and always destroyed.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct ExternalTrafficEndToEndTests {
    /// An example under a fresh test-only cluster name and in proxy mode `mode`,
    /// applied; always destroyed.
    func withExample(_ example: String, mode: String = "nftables", _ body: (String, URL) throws -> Void) throws {
        let cluster = "pnt4x" + String(Int.random(in: 10_000...99_999))
        let text = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/\(example).yaml"), encoding: .utf8)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
        try text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("name: ") ? "name: \(cluster)" : String($0) }.joined(separator: "\n")
            .replacingOccurrences(of: "  mode: nftables ", with: "  mode: \(mode) ")
            .write(to: file, atomically: true, encoding: .utf8)
        defer {
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        try #require(try String(contentsOf: file, encoding: .utf8).contains("  mode: \(mode) "))
        let applied = try PodnetBinary.run(["apply", file.path])
        try #require(applied.status == 0, "\(applied.stderr)")
        try body(cluster, file)
    }

    struct Result: Decodable {
        var service: String
        var route: String
        var node: String?
        var from: String
        var expected: String
        var answers: [String: Int]
        var sources: [String: Int]
        var expectedSourceAddresses: [String]?
        var connections: Int
        var refused: Int
        var timeouts: Int
        var ok: Bool
        var problem: String?
    }

    struct Report: Decodable {
        struct External: Decodable { var results: [Result] }
        var ok: Bool
        var failures: [String]
        var external: External?
    }

    func check(_ file: URL, connections: Int) throws -> (status: Int32, report: Report, stderr: String) {
        let run = try PodnetBinary.run(["check", "--services-only", "--connections", String(connections), "-o", "json", file.path])
        return (run.status, try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8)), run.stderr)
    }

    func row(_ report: Report, from: String, node: String, route: String = "nodePort") throws -> Result {
        try #require(report.external?.results.first { $0.from == from && $0.node == node && $0.route == route },
                     "no \(route) row from \(from) at \(node)")
    }

    /// Cluster: 200 connections from the client to each node's NodePort all answered,
    /// each endpoint 35–65% of them, also at node-0, which hosts none; the endpoints
    /// see an address of the receiving node, never the client's.
    @Test(arguments: ["nftables", "iptables"])
    func clusterSpreadsEveryNodesNodePortOverBothEndpointsAndHidesTheClient(mode: String) throws {
        try withExample("nodeport-cluster", mode: mode) { cluster, file in
            let (status, report, stderr) = try check(file, connections: 200)
            #expect(status == 0, "\(report.failures)\n\(stderr)")
            for node in ["node-0", "node-1", "node-2"] {
                let result = try row(report, from: "outside", node: node)
                #expect(result.answers.values.reduce(0, +) == 200, "\(node): \(result)")
                for endpoint in ["web-1", "web-2"] {
                    let share = Double(result.answers[endpoint] ?? 0) / 200
                    #expect((0.35...0.65).contains(share), "at \(node): \(endpoint) got \(share)")
                }
                let allowed = Set(try #require(result.expectedSourceAddresses))
                #expect(!allowed.isEmpty && !allowed.contains("192.168.64.7"))
                #expect(Set(result.sources.keys).isSubset(of: allowed), "at \(node): \(result.sources)")
                #expect(result.sources.values.reduce(0, +) == 200)
            }
            // Pods reach every node's NodePort too.
            #expect(report.external?.results.filter { $0.from.hasPrefix("web-") }.count == 6)

            // The text names who answered and which source they saw.
            let text = try PodnetBinary.run(["check", "--services-only", "--connections", "10", file.path])
            #expect(text.status == 0, "\(text.stdout)")
            #expect(text.stdout.contains("traffic from outside: 10 connections from each client and pod to every NodePort on every node"))
            #expect(text.stdout.contains("NodePort on node-0  192.168.64.4:30080  outside  Cluster  web-1, web-2  node-0's (masqueraded)"), "\(text.stdout)")
        }
    }

    /// Local: node-1's NodePort always answered by web-1, which sees the client's own
    /// address; node-0 (no endpoint) answers none and refuses none: all time out.
    @Test(arguments: ["nftables", "iptables"])
    func localKeepsTheClientsAddressAndANodeWithoutAnEndpointDrops(mode: String) throws {
        try withExample("nodeport-local", mode: mode) { cluster, file in
            let (status, report, stderr) = try check(file, connections: 200)
            #expect(status == 0, "\(report.failures)\n\(stderr)")
            let node1 = try row(report, from: "outside", node: "node-1")
            #expect(node1.answers == ["web-1": 200], "\(node1)")
            #expect(node1.sources == ["192.168.64.7": 200], "\(node1)")
            let node2 = try row(report, from: "outside", node: "node-2")
            #expect(node2.answers == ["web-2": 200], "\(node2)")
            let node0 = try row(report, from: "outside", node: "node-0")
            #expect(node0.expected == "drop")
            #expect(node0.answers.isEmpty && node0.refused == 0 && node0.timeouts == 200, "\(node0)")
        }
    }

    /// External IPs: the client's route takes 203.0.113.10 to node-1 (the first node
    /// with an endpoint of web); ClientIP affinity sends all 50 of the client's
    /// connections to one endpoint. api's internalTrafficPolicy Local keeps pods on
    /// their node: shell-2 (node-2, no api endpoint) is dropped.
    @Test(arguments: ["nftables", "iptables"])
    func anExternalIPWithAffinityReachesOneEndpointPerClient(mode: String) throws {
        try withExample("external-ips", mode: mode) { cluster, file in
            let route = try shell("ip -n \(cluster).outside route show 203.0.113.10").stdout
            #expect(route.contains("203.0.113.10 via 192.168.64.5 dev eth0"), "\(route)")
            let (status, report, stderr) = try check(file, connections: 50)
            #expect(status == 0, "\(report.failures)\n\(stderr)")
            let outside = try row(report, from: "outside", node: "node-1", route: "externalIP")
            #expect(outside.answers.count == 1 && outside.answers.values.first == 50, "\(outside)")
            let text = try PodnetBinary.run(["check", "--services-only", "--connections", "5", file.path])
            #expect(text.stdout.contains("web-0, web-1; one endpoint per client"), "\(text.stdout)")
            #expect(text.stdout.contains("api:80   10.96.0.2:80  shell-2  dropped (no local endpoint)"), "\(text.stdout)")
        }
    }

    /// Without node-1's proxy table its NodePort refuses: the check names the row.
    /// The client and the NodePort are shown, and destroy takes the client with the rest.
    @Test func aBrokenNodeIsNamedAndDestroyLeavesNoClient() throws {
        try withExample("nodeport-cluster") { cluster, file in
            let shown = try PodnetBinary.run(["show", "--cluster", cluster])
            #expect(shown.stdout.contains("\(cluster).outside") && shown.stdout.contains("client/outside"), "\(shown.stdout)")
            #expect(shown.stdout.contains("*:30080/tcp             web:80   node-0,node-1,node-2  external-"), "\(shown.stdout)")
            let withFile = try PodnetBinary.run(["show", "-f", file.path])
            #expect(withFile.stdout.contains("web      NodePort  10.96.0.1   -             80:30080/TCP→8080  Cluster"), "\(withFile.stdout)")
            #expect(try shell("ip netns exec \(cluster).node-1 nft delete table ip podnet-\(cluster)").status == 0)
            let (status, report, _) = try check(file, connections: 5)
            #expect(status == 1)
            let broken = try row(report, from: "outside", node: "node-1")
            #expect(!broken.ok && broken.refused == 5, "\(broken)")
            #expect(report.failures.contains { $0.hasPrefix("web:80 at 192.168.64.5:30080 from outside: 5 refused") }, "\(report.failures)")
            #expect(try row(report, from: "outside", node: "node-2").ok)

            #expect(try PodnetBinary.run(["destroy", "--cluster", cluster]).status == 0)
            let left = try shell("ip netns list | grep '^\(cluster)\\.' || true").stdout
            #expect(left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(left)")
        }
    }

    /// A client removed from the file is one namespace deletion (its veth goes with
    /// it); added again, one namespace and its link, address and routes; nothing else.
    @Test func aClientComesAndGoesWithAMinimalPlan() throws {
        try withExample("external-ips") { cluster, file in
            let with = try String(contentsOf: file, encoding: .utf8)
            try with.replacingOccurrences(of: "clients:\n  - { name: outside, address: 192.168.64.7 }\n", with: "")
                .write(to: file, atomically: true, encoding: .utf8)
            let removal = try PodnetBinary.run(["diff", file.path])
            #expect(removal.stdout.contains("- ip netns del \(cluster).outside"), "\(removal.stdout)")
            #expect(removal.stdout.contains("0 to create, 0 to update, 1 to delete"), "\(removal.stdout)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try shell("ip netns list | grep -c '^\(cluster)\\.outside' || true").stdout.hasPrefix("0"))

            try with.write(to: file, atomically: true, encoding: .utf8)
            let adding = try PodnetBinary.run(["diff", "-o", "json", file.path])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(adding.stdout.utf8)) as? [String: Any])
            let namespaces = try #require(json["operations"] as? [[String: Any]]).compactMap { $0["namespace"] as? String }
            #expect(!namespaces.isEmpty && namespaces.allSatisfy { $0 == "\(cluster).outside" || $0 == "\(cluster).underlay" }, "\(namespaces)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            let route = try shell("ip -n \(cluster).outside route show 203.0.113.10").stdout
            #expect(route.contains("via 192.168.64.5 dev eth0"), "\(route)")
        }
    }
}
