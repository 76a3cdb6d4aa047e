import Foundation
import Testing

/// Host mode (`--node`), as a real cluster uses it: three hosts emulated as
/// namespaces on one switch, each running `ip netns exec HOST podnet apply --node
/// NAME` on the same file. Pods then reach each other across hosts; each host's
/// own links and routes stay untouched; destroy --node removes only podnet's. Root only.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct HostModeEndToEndTests {
    static func cluster(_ name: String, backend: String) -> String {
        """
        name: \(name)
        clusterCIDR: 10.200.0.0/16
        network: { backend: \(backend) }
        nodes:
          - { name: node-0, address: 192.168.64.4, podCIDR: 10.200.0.0/24 }
          - { name: node-1, address: 192.168.64.5, podCIDR: 10.200.1.0/24, interface: uplink0 }
          - { name: node-2, address: 192.168.64.6, podCIDR: 10.200.2.0/24, bridge: br2 }
        pods:
          - { name: a0, node: node-0, ip: 10.200.0.2 }
          - { name: a1, node: node-0, ip: 10.200.0.3 }
          - { name: b, node: node-1, ip: 10.200.1.2 }
          - { name: c, node: node-2, ip: 10.200.2.2 }
        """
    }

    static let pings = [("a0", "10.200.1.2"), ("a0", "10.200.2.2"), ("b", "10.200.0.3"), ("c", "10.200.0.2"), ("a1", "10.200.0.2")]

    @Test(arguments: ["vxlan", "host-gw"])
    func hostsApplyTheSameFileAndTheirPodsMeet(backend: String) throws {
        let tag = "pnt" + String(Int.random(in: 100_000...999_999))
        let cluster = tag
        let hosts = (0..<3).map { "\(tag)-h\($0)" }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag).yaml")
        try Self.cluster(cluster, backend: backend).write(to: file, atomically: true, encoding: .utf8)
        defer {
            for (index, host) in hosts.enumerated() {
                _ = try? shell("ip netns exec \(host) \(PodnetBinary.url.path) destroy --node node-\(index) \(file.path)")
            }
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(tag)'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        #expect(try shell(Self.hostSetup(tag: tag, hosts: hosts)).status == 0)
        let before = try hosts.map { try shell("ip -n \($0) -o link show keepme; ip -n \($0) route show 203.0.113.0/24").stdout }

        for (index, host) in hosts.enumerated() {
            let applied = try shell("ip netns exec \(host) \(PodnetBinary.url.path) apply --node node-\(index) \(file.path) 2>&1")
            #expect(applied.status == 0, "\(host): \(applied.stdout)")
        }
        for (pod, address) in Self.pings {
            #expect(try shell("ip netns exec \(cluster).\(pod) ping -c 1 -W 2 \(address)").status == 0, "\(pod) → \(address)")
        }
        for (index, host) in hosts.enumerated() {
            let diff = try shell("ip netns exec \(host) \(PodnetBinary.url.path) diff --detailed-exitcode --node node-\(index) \(file.path)")
            #expect(diff.status == 0, "\(host): \(diff.stdout)")
        }
        // Routes podnet added on a host carry its protocol; the host's own are untouched.
        let routes = try shell("ip -n \(hosts[0]) route show proto \(211)").stdout
        #expect(routes.contains("10.200.1.0/24") && routes.contains("10.200.2.0/24"), "\(routes)")
        #expect(try hosts.map { try shell("ip -n \($0) -o link show keepme; ip -n \($0) route show 203.0.113.0/24").stdout } == before)
        // Each host owns only its pods: node-1's apply did not touch node-0's.
        #expect(try shell("ip netns list | grep -c '^\(cluster)\\.' || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "4")

        for (index, host) in hosts.enumerated() {
            let destroyed = try shell("ip netns exec \(host) \(PodnetBinary.url.path) destroy --node node-\(index) \(file.path)")
            #expect(destroyed.status == 0)
        }
        #expect(try shell("ip netns list | grep -c '^\(cluster)\\.' || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        for host in hosts {
            let links = try shell("ip -n \(host) -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | tr '\\n' ' '").stdout
            #expect(links == "keepme lo uplink0 ", "\(host): \(links)")
            #expect(try shell("ip -n \(host) route show proto 211").stdout.isEmpty)
        }
        #expect(try hosts.map { try shell("ip -n \($0) -o link show keepme; ip -n \($0) route show 203.0.113.0/24").stdout } == before)
    }

    /// The hosts: an uplink on a shared switch (namespace TAG-net), plus a link and a
    /// route of their own that podnet must leave alone.
    static func hostSetup(tag: String, hosts: [String]) -> String {
        var setup = "set -e\nip netns add \(tag)-net\nip -n \(tag)-net link add sw type bridge\nip -n \(tag)-net link set sw up\n"
        for (index, host) in hosts.enumerated() {
            setup += """
            ip netns add \(host)
            ip -n \(tag)-net link add port\(index) type veth peer name uplink0 netns \(host)
            ip -n \(tag)-net link set port\(index) master sw up
            ip -n \(host) link set uplink0 up
            ip -n \(host) addr add 192.168.64.\(4 + index)/24 dev uplink0
            ip -n \(host) link add keepme type bridge
            ip -n \(host) route add 203.0.113.0/24 via 192.168.64.1 dev uplink0

            """
        }
        return setup
    }

    /// NetworkPolicy in host mode: each host enforces the policies in its own
    /// namespace (its inet table beside the host's own nf_tables rules, which stay as
    /// they are); `check --node` on one host measures them; destroy removes the table.
    @Test func hostsEnforceThePoliciesAndKeepTheirOwnRules() throws {
        let tag = "pnt" + String(Int.random(in: 100_000...999_999))
        let hosts = (0..<3).map { "\(tag)-h\($0)" }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag).yaml")
        try (Self.cluster(tag, backend: "host-gw") + """

        networkPolicies:
          - name: b-from-a0
            podSelector: { matchLabels: { app: b } }
            ingress: [{ from: [{ podSelector: { matchLabels: { app: a0 } } }], ports: [{ port: 80 }] }]
        """).replacingOccurrences(of: "ip: 10.200.1.2 }", with: "ip: 10.200.1.2, labels: { app: b } }")
            .replacingOccurrences(of: "ip: 10.200.0.2 }", with: "ip: 10.200.0.2, labels: { app: a0 } }")
            .write(to: file, atomically: true, encoding: .utf8)
        defer {
            for (index, host) in hosts.enumerated() {
                _ = try? shell("ip netns exec \(host) \(PodnetBinary.url.path) destroy --node node-\(index) \(file.path)")
            }
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(tag)'); do ip netns del $n; done")
            try? FileManager.default.removeItem(at: file)
        }
        #expect(try shell(Self.hostSetup(tag: tag, hosts: hosts)).status == 0)
        // The host's own firewall, which podnet must not touch.
        #expect(try shell("ip netns exec \(hosts[1]) nft 'add table inet hostfw; add chain inet hostfw input { type filter hook input priority 0; }; add rule inet hostfw input tcp dport 22 accept'").status == 0)
        for (index, host) in hosts.enumerated() {
            let applied = try shell("ip netns exec \(host) \(PodnetBinary.url.path) apply --node node-\(index) \(file.path) 2>&1")
            #expect(applied.status == 0, "\(host): \(applied.stdout)")
        }
        #expect(try shell("ip netns exec \(hosts[1]) nft list table inet podnet-\(tag)").stdout.contains("to-b"))
        let check = try shell("ip netns exec \(hosts[1]) \(PodnetBinary.url.path) check --pods-only -o json --node node-1 \(file.path)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        #expect(check.status == 0 && json["ok"] as? Bool == true, "\(json["failures"] ?? "")")
        let results = try #require((json["networkPolicy"] as? [String: Any])?["results"] as? [[String: Any]])
        let denied = results.filter { $0["to"] as? String == "b" && $0["expected"] as? String == "deny" }
        #expect(denied.count == 3 * 4 - 1, "only a0 on 80/TCP reaches b")
        let destroyed = try shell("ip netns exec \(hosts[1]) \(PodnetBinary.url.path) destroy --node node-1 \(file.path)")
        #expect(destroyed.status == 0)
        #expect(try shell("ip netns exec \(hosts[1]) nft list table inet podnet-\(tag)").status != 0)
        #expect(try shell("ip netns exec \(hosts[1]) nft list table inet hostfw").stdout.contains("tcp dport 22 accept"))
    }
}
