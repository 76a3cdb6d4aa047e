import Foundation
import Testing

/// `podnet check` on the dual-stack example (three nodes, pods a0, b, c) over each
/// backend that carries IPv6: a matrix per family, every pair answering in both;
/// an IPv6 route deleted by hand shows in the IPv6 matrix only. Root only; the
/// clusters are named pnc6NNNNNN.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct DualStackCheckEndToEndTests {
    /// The dual-stack example under a fresh name with `network` as its network
    /// block, applied; always destroyed.
    func withCluster(network: String, proxy: String? = nil, _ body: (String, URL) throws -> Void) throws {
        let cluster = "pnc6" + String(Int.random(in: 100_000...999_999))
        let source = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/dual-stack.yaml"), encoding: .utf8)
        var lines: [String] = []
        var skipping = false
        for line in source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("name: ") { lines.append("name: \(cluster)"); continue }
            if line.hasPrefix("network:") { lines.append(network); skipping = true; continue }
            if let proxy, line.hasPrefix("proxy:") { lines.append(proxy); skipping = true; continue }
            if skipping, line.hasPrefix(" ") { continue }
            skipping = false
            lines.append(line)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        defer {
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        let applied = try PodnetBinary.run(["apply", file.path])
        try #require(applied.status == 0, "\(applied.stderr)")
        try body(cluster, file)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test(arguments: DualStackEndToEndTests.networks.keys.sorted())
    func everyPairAnswersInEveryFamily(backend: String) throws {
        try withCluster(network: DualStackEndToEndTests.networks[backend]!) { cluster, file in
            let checked = try PodnetBinary.run(["check", file.path])
            #expect(checked.status == 0, "\(backend): \(checked.stdout)\n\(checked.stderr)")
            // The service through each ClusterIP, from each pod, answered by both endpoints.
            for destination in ["10.96.0.1:8080", "[fd00:96::1]:8080"] {
                #expect(checked.stdout.split(separator: "\n").filter { $0.contains(destination) && $0.hasSuffix("ok") }.count == 3,
                        "\(destination): \(checked.stdout)")
            }
            #expect(checked.stdout.contains("pod → pod: ICMP echo"), "\(checked.stdout)")
            #expect(checked.stdout.contains("pod → pod over IPv6: ICMPv6 echo"), "\(checked.stdout)")
            #expect(checked.stdout.contains("ok: cluster \(cluster): all 9 pod pairs, 9 IPv6 pod pairs and 6 service checks as expected"), "\(checked.stdout)")

            let direct = try PodnetBinary.run(["check", "--services-only", "--via", "endpoints", file.path])
            #expect(direct.status == 0, "\(backend): \(direct.stdout)\n\(direct.stderr)")
            #expect(direct.stdout.contains("[fd00:200:0:1::2]:8080"), "\(direct.stdout)")

            let machine = try json(try PodnetBinary.run(["check", "--pods-only", "-o", "json", file.path]).stdout)
            #expect(machine["ok"] as? Bool == true)
            for key in ["podToPod", "podToPodIPv6"] {
                let section = try #require(machine[key] as? [String: Any], "\(key)")
                #expect(section["pairs"] as? Int == 9, "\(key)")
                #expect(section["asExpected"] as? Int == 9, "\(key)")
            }
        }
    }

    /// The service in each proxy mode that serves IPv6 (the example's is nftables):
    /// through both ClusterIPs from every pod, a second apply has nothing to do, and
    /// the IPv6 side is each mode's own (`ip6 podnet-CLUSTER`, or ip6tables' chains).
    @Test(arguments: ["nftables", "iptables"])
    func theServiceAnswersInBothFamiliesInEachProxyMode(mode: String) throws {
        try withCluster(network: DualStackEndToEndTests.networks["host-gw"]!, proxy: "proxy: { mode: \(mode) }") { cluster, file in
            let checked = try PodnetBinary.run(["check", "--services-only", file.path])
            #expect(checked.status == 0, "\(mode): \(checked.stdout)\n\(checked.stderr)")
            for destination in ["10.96.0.1:8080", "[fd00:96::1]:8080"] {
                #expect(checked.stdout.split(separator: "\n").filter { $0.contains(destination) && $0.hasSuffix("ok") }.count == 3,
                        "\(mode) \(destination): \(checked.stdout)")
            }
            let again = try PodnetBinary.run(["diff", "--detailed-exitcode", file.path])
            #expect(again.status == 0, "\(mode): \(again.stdout)\n\(again.stderr)")
            let tables = try shell("ip netns exec \(cluster).node-0 nft list tables").stdout
            #expect(tables.contains("table ip6 podnet-\(cluster)") == (mode == "nftables"), "\(tables)")
            if mode == "iptables" {
                #expect(try shell("ip netns exec \(cluster).node-0 ip6tables-save -t nat").stdout.contains("fd00:96::1/128"))
            }
        }
    }

    /// host-gw: node-0's IPv6 route to node-1's pods deleted. a0 ↔ b fails over
    /// IPv6 (a0's echo has no way there, b's reply none back), IPv4 is untouched.
    @Test func anIPv6RouteDeletedByHandFailsTheIPv6MatrixOnly() throws {
        try withCluster(network: DualStackEndToEndTests.networks["host-gw"]!) { cluster, file in
            #expect(try shell("ip -n \(cluster).node-0 -6 route del fd00:200:0:1::/64").status == 0)
            let broken = try PodnetBinary.run(["check", "--pods-only", file.path])
            #expect(broken.status == 1, "\(broken.stdout)")
            #expect(broken.stdout.contains("FAILED: cluster \(cluster): 2 of 9 IPv6 pod pairs"), "\(broken.stdout)")
            #expect(!broken.stdout.contains("of 9 pod pairs,") && !broken.stdout.contains("of 9 pod pairs\n"), "\(broken.stdout)")
            #expect(broken.stdout.contains("a0 → b (fd00:200:0:1::2)"), "\(broken.stdout)")
            #expect(broken.stdout.contains("b → a0 (fd00:200::2)"), "\(broken.stdout)")
            #expect(!broken.stdout.contains("(10.200."), "\(broken.stdout)")

            let machine = try json(try PodnetBinary.run(["check", "--pods-only", "-o", "json", file.path]).stdout)
            #expect((machine["podToPod"] as? [String: Any])?["asExpected"] as? Int == 9)
            #expect((machine["podToPodIPv6"] as? [String: Any])?["asExpected"] as? Int == 7)

            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try PodnetBinary.run(["check", "--pods-only", file.path]).status == 0)
        }
    }
}
