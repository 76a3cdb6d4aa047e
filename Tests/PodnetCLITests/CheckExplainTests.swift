import Foundation
import Testing

/// `podnet check FILE --explain SRC DST PORT[/PROTO]`: the policies' verdict from the
/// file alone (no cluster, no root), with the exit status scripts test.
@Suite struct CheckExplainTests {
    static let example = "topologies/netpol-allow-from-namespace.yaml"

    @Test func anAllowedConnectionNamesTheRuleAndExitsZero() throws {
        let run = try PodnetBinary.run(["check", Self.example, "--explain", "web", "db", "5432/TCP"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("web → db 5432/TCP: allowed"))
        #expect(run.stdout.contains("allowed by prod/db-clients ingress[0] (from[0] podSelector app=web; ports[0] 'postgres'/TCP)"))
    }

    @Test func aDeniedConnectionSaysWhoIsolatesAndExitsOne() throws {
        let run = try PodnetBinary.run(["check", Self.example, "--explain", "scraper", "db", "5432"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("scraper → db 5432/TCP: denied"))
        #expect(run.stdout.contains("isolated by prod/db-clients; no rule of it allows this"))
    }

    /// An IPv6 address is that pod over IPv6: an IPv6 ipBlock decides, where over
    /// IPv4 (the pod by name) it does not.
    @Test func anIPv6AddressIsJudgedOverIPv6() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pnt-explain6-\(getpid()).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try ("name: lab\n" + DualStackPolicyEndToEndTests.topology + "\n").write(to: file, atomically: true, encoding: .utf8)
        let overIPv6 = try PodnetBinary.run(["check", file.path, "--explain", "fd00:200:0:2::2", "a0", "80"])
        #expect(overIPv6.status == 0, "\(overIPv6.stdout)\(overIPv6.stderr)")
        #expect(overIPv6.stdout.hasPrefix("fd00:200:0:2::2 → a0 80/TCP over IPv6: allowed"), "\(overIPv6.stdout)")
        #expect(overIPv6.stdout.contains("ipBlock fd00:200:0:2::/64"), "\(overIPv6.stdout)")
        let overIPv4 = try PodnetBinary.run(["check", file.path, "--explain", "c", "a0", "80"])
        #expect(overIPv4.status == 1, "\(overIPv4.stdout)")
    }

    /// `-6`: names stand for their IPv6 addresses, as in trace; `-4` for IPv4's; a
    /// family the cluster lacks is a usage mistake.
    @Test func theFamilyFlagJudgesNamedPodsInThatFamily() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pnt-explain6f-\(getpid()).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try ("name: lab\n" + DualStackPolicyEndToEndTests.topology + "\n").write(to: file, atomically: true, encoding: .utf8)
        let overIPv6 = try PodnetBinary.run(["check", file.path, "--explain", "c", "a0", "80", "-6"])
        #expect(overIPv6.status == 0, "\(overIPv6.stdout)\(overIPv6.stderr)")
        #expect(overIPv6.stdout.hasPrefix("c → a0 80/TCP over IPv6: allowed"), "\(overIPv6.stdout)")
        let overIPv4 = try PodnetBinary.run(["check", file.path, "--explain", "c", "a0", "80", "-4"])
        #expect(overIPv4.status == 1, "\(overIPv4.stdout)")
        let ipv4Only = try PodnetBinary.run(["check", Self.example, "--explain", "web", "db", "5432", "-6"])
        #expect(ipv4Only.status == 64 && ipv4Only.stderr.contains("has no IPv6 addresses"), "\(ipv4Only.stderr)")
    }

    @Test func aServiceIsJudgedAtEachEndpoint() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pnt-explain-\(getpid()).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        let lab = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/netpol-lab.yaml"), encoding: .utf8)
        try (lab + """
        networkPolicies:
          - name: web-from-y
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }], ports: [{ port: 80 }] }]
        """).write(to: file, atomically: true, encoding: .utf8)
        let allowed = try PodnetBinary.run(["check", file.path, "--explain", "yb", "web", "8080"])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect(allowed.stdout.contains("endpoint xa (target port 80): allowed"))
        let denied = try PodnetBinary.run(["check", file.path, "--explain", "xb", "web", "8080"])
        #expect(denied.status == 1)
        #expect(denied.stdout.contains("every endpoint denied: the connection times out"))
    }

    @Test(arguments: [["web", "db"], ["nobody", "db", "80"], ["web", "db", "99999"], ["web", "db", "80/ICMP"]])
    func mistakesAreUsageErrors(words: [String]) throws {
        let run = try PodnetBinary.run(["check", Self.example, "--explain"] + words)
        #expect(run.status == 64, "\(words): \(run.stderr)")
        #expect(run.stderr.contains("--explain"), "\(run.stderr)")
    }
}
