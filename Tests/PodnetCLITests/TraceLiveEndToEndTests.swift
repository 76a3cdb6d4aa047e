import Foundation
import Testing

/// `podnet trace --live` on the real kernel: after apply, the path through the
/// kernel's state (read over netlink, as diff reads it) is the file's, hop by hop,
/// for seed 003's cases on each backend and proxy mode this kernel has (IPVS and
/// IP-in-IP: the full-kernel lane); and a route deleted by hand is the hop named.
/// Root only.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct TraceLiveEndToEndTests {
    /// services-nftables.yaml: a0 and b are the endpoints of kube-svc-1 (10.96.0.2:8080).
    static let cases: [(source: String, destination: String, endpoint: String?)] = [
        ("a0", "a1", nil),                 // pod to pod, one node
        ("a0", "c", nil),                  // pod to pod, another node
        ("c", "kube-svc-1:8080", "b"),     // a ClusterIP from another node
        ("a1", "kube-svc-1:8080", "a0"),   // a ClusterIP from the same node
        ("a0", "kube-svc-1:8080", "a0"),   // hairpin
    ]

    @Test(arguments: [("vxlan", "static", "nftables"), ("vxlan", "multicast", "nftables"), ("host-gw", "static", "nftables"),
                      ("vxlan", "multicast", "iptables"), ("host-gw", "static", "iptables")])
    func theKernelTakesTheFilesPath(backend: String, discovery: String, proxy: String) throws {
        try withTestCluster(example: "services-nftables") { cluster, file in
            var text = try String(contentsOf: file, encoding: .utf8)
            text = text.replacingOccurrences(of: "  backend: vxlan ", with: "  backend: \(backend) ")
                .replacingOccurrences(of: "    discovery: multicast ", with: "    discovery: \(discovery) ")
                .replacingOccurrences(of: "  mode: nftables ", with: "  mode: \(proxy) ")
            if discovery == "static" { text = text.replacingOccurrences(of: "    group: 239.1.1.1\n", with: "") }
            try text.write(to: file, atomically: true, encoding: .utf8)
            let applied = try PodnetBinary.run(["apply", file.path])
            try #require(applied.status == 0, "\(applied.stderr)")
            for (source, destination, endpoint) in Self.cases {
                let arguments = ["trace", "--live", "-o", "json", file.path, source, destination] + (endpoint.map { ["--endpoint", $0] } ?? [])
                let run = try PodnetBinary.run(arguments)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
                let differences = json["differences"] as? [String]
                #expect(run.status == 0 && differences == [], "\(backend)/\(discovery)/\(proxy) \(source) → \(destination): \(differences ?? [run.stderr])")
                let path = try #require(json["path"] as? [String: Any])
                let outcome = try #require(path["outcome"] as? [String: Any])
                let expected = "\(cluster).\(endpoint ?? destination)"
                #expect(outcome["namespace"] as? String == expected, "\(source) → \(destination)")
            }
        }
    }

    /// The dual-stack example (a0 and b the endpoints of web): each case over IPv6
    /// (`-6`), on each backend and proxy mode this kernel has; the kernel's path, its
    /// route look-ups and a real probe's nftrace agree with the file's.
    @Test(arguments: [("vxlan-static", "nftables"), ("vxlan-multicast", "nftables"), ("host-gw", "nftables"), ("host-gw", "iptables")])
    func theKernelTakesTheFilesPathOverIPv6(network: String, proxy: String) throws {
        try withTestCluster(example: "dual-stack") { cluster, file in
            try replaceNetwork(of: file, with: DualStackEndToEndTests.networks[network]!)
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "  mode: nftables ", with: "  mode: \(proxy) ")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let applied = try PodnetBinary.run(["apply", file.path])
            try #require(applied.status == 0, "\(applied.stderr)")
            let cases: [(source: String, destination: String, endpoint: String?, delivered: String)] = [
                ("a0", "b", nil, "b"), ("c", "web:8080", "b", "b"), ("a0", "web:8080", "a0", "a0"),
                ("c", "[fd00:200::2]:8080", nil, "a0"), ("node-0", "c", nil, "c"),
            ]
            for (source, destination, endpoint, delivered) in cases {
                let arguments = ["trace", "--live", "-6", "-o", "json", file.path, source, destination] + (endpoint.map { ["--endpoint", $0] } ?? [])
                let run = try PodnetBinary.run(arguments)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
                let differences = json["differences"] as? [String]
                #expect(run.status == 0 && differences == [], "\(network)/\(proxy) \(source) → \(destination): \(differences ?? [run.stderr])")
                #expect((json["packet"] as? String)?.contains("fd00:") == true, "\(json["packet"] ?? "")")
                let outcome = try #require((json["path"] as? [String: Any])?["outcome"] as? [String: Any])
                #expect(outcome["namespace"] as? String == "\(cluster).\(delivered)", "\(source) → \(destination)")
            }
        }
    }

    /// A policy-routing rule (another table) is beyond the routes the trace reads;
    /// the kernel's own look-up (`ip route get`) on the path still catches it.
    @Test func theKernelsOwnRouteLookUpCatchesWhatTheReadStateMisses() throws {
        try withTestCluster(example: "host-gw") { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try shell("ip -n \(cluster).node-0 rule add to 10.200.1.2 table 100 && ip -n \(cluster).node-0 route add 10.200.1.2 dev br0 table 100").status == 0)
            let run = try PodnetBinary.run(["trace", "--live", file.path, "a0", "a1"])
            #expect(run.status == 1)
            #expect(run.stdout.contains("[\(cluster).node-0] ip route get 10.200.1.2 says dev br0; the trace took dev eth0 via 192.168.64.5"), "\(run.stdout)")
        }
    }

    /// A host's own firewall is beyond what the trace models; the real probe's
    /// nftrace shows the packet never reaching podnet's rules past it.
    @Test func theProbesNftraceCatchesADropTheTraceDoesNotModel() throws {
        try withTestCluster(example: "services-nftables") { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            let agreed = try PodnetBinary.run(["trace", "--live", file.path, "c", "kube-svc-1:8080", "--endpoint", "b"])
            #expect(agreed.status == 0, "\(agreed.stdout)")
            #expect(agreed.stdout.contains("a real probe met the same"), "\(agreed.stdout)")
            let drop = "add table inet hostfw; add chain inet hostfw pre { type filter hook prerouting priority -300; }; add rule inet hostfw pre tcp dport 8080 drop"
            #expect(try shell("ip netns exec \(cluster).node-2 nft '\(drop)'").status == 0)
            let run = try PodnetBinary.run(["trace", "--live", file.path, "c", "kube-svc-1:8080", "--endpoint", "b"])
            #expect(run.status == 1)
            #expect(run.stdout.contains("[\(cluster).node-2] nftrace: rule 1 the packet met: the trace's ip podnet-\(cluster) nat-prerouting; the kernel's (no more rules)"), "\(run.stdout)")
            #expect(try shell("ip netns exec \(cluster).node-2 nft list tables").stdout.contains("trace-by-podnet") == false, "the probe's table is gone")
        }
    }

    @Test func aRouteDeletedByHandIsTheHopNamed() throws {
        try withTestCluster(example: "host-gw") { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try shell("ip -n \(cluster).node-0 route del 10.200.1.0/24").status == 0)
            let run = try PodnetBinary.run(["trace", "--live", file.path, "a0", "a1"])
            #expect(run.status == 1)
            #expect(run.stdout.contains("--live: the kernel's path differs:"))
            #expect(run.stdout.contains("the kernel's [\(cluster).node-0] node node-0 has no route to 10.200.1.2"), "\(run.stdout)")
        }
    }
}
