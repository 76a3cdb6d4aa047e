import Foundation
import Testing

/// External IPs of both families, for real: a dual-stack cluster whose service web
/// takes 203.0.113.10 and 2001:db8::10; the lab client routes each via the first node
/// with an endpoint (node-1), over that family's underlay address, and `podnet check`
/// connects to both from the client and from every pod. Root only; clusters are
/// named `pnx6` + six digits, always destroyed.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct DualStackExternalIPEndToEndTests {
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
            externalIPs: [203.0.113.10, "2001:db8::10"]
            externalTrafficPolicy: \(policy)
            selector: { app: web }
            ports: [{ port: 80, targetPort: 8080 }]
        """
    }

    @Test(arguments: ["nftables", "iptables"], ["Cluster", "Local"])
    func bothFamiliesExternalIPsAnswer(mode: String, policy: String) throws {
        try withTestCluster(prefix: "pnx6", text: { Self.yaml($0, mode: mode, policy: policy) }) { cluster, file in
            let applied = try PodnetBinary.run(["apply", file.path])
            try #require(applied.status == 0, "\(applied.stderr)")
            let routes = try shell("ip -n \(cluster).outside -6 route show 2001:db8::10").stdout
            #expect(routes.contains("via fd00:64::5"), "\(routes)")
            let run = try PodnetBinary.run(["check", "--services-only", "--connections", "20", "-o", "json", file.path])
            #expect(run.status == 0, "\(mode) \(policy): \(run.stdout.suffix(2000))\n\(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let results = try #require((json["external"] as? [String: Any])?["results"] as? [[String: Any]])
            let ipv6 = results.filter { $0["address"] as? String == "2001:db8::10" }
            let ipv4 = results.filter { $0["address"] as? String == "203.0.113.10" }
            // From web-1, web-2 and outside each.
            #expect(ipv6.count == 3 && ipv4.count == 3, "\(results.map { $0["address"] ?? "" })")
            #expect((ipv6 + ipv4).allSatisfy { $0["ok"] as? Bool == true }, "\(ipv6 + ipv4)")
            let fromOutside = try #require(ipv6.first { $0["from"] as? String == "outside" })
            let answered = (fromOutside["answers"] as? [String: Int]) ?? [:]
            #expect(answered.values.reduce(0, +) == 20, "\(fromOutside)")
            if policy == "Local" {
                // node-1 keeps the client's own address and answers from its own endpoint.
                #expect((fromOutside["sources"] as? [String: Int])?.keys.sorted() == ["fd00:64::7"], "\(fromOutside)")
                #expect(answered.keys.sorted() == ["web-1"], "\(fromOutside)")
        }
        #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
        }
    }
}
