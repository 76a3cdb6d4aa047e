import Foundation
import Testing

/// NetworkPolicy for real: fifteen policy scenarios applied one after another to
/// the lab of topologies/netpol-lab.yaml (3 nodes, namespaces x and y, 6 pods, a
/// service). After each, `podnet check` measures every pod pair on TCP and UDP 80
/// and 81 (and the ports the policies name) from inside the pods, and every cell
/// must equal the policy model; each switch is a plan of the policy table alone,
/// after which nothing is left to do. Root only.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct NetworkPolicyScenarioTests {
    /// A scenario: its policies (YAML list items under `networkPolicies:`), and the
    /// least number of probes it must deny, so that no scenario passes by allowing all.
    struct Scenario: CustomStringConvertible {
        let name: String
        let policies: String
        let minimumDenied: Int
        var description: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "deny-all ingress in x", policies: """
          - { name: deny, namespace: x, podSelector: {}, policyTypes: [Ingress] }
        """, minimumDenied: 3 * 3 * 4),
        Scenario(name: "deny-all egress in x", policies: """
          - { name: deny, namespace: x, podSelector: {}, policyTypes: [Egress] }
        """, minimumDenied: 3 * 3 * 4),
        Scenario(name: "allow the same namespace", policies: """
          - name: same
            namespace: x
            podSelector: {}
            ingress: [{ from: [{ podSelector: {} }] }]
        """, minimumDenied: 3 * 3 * 4),
        Scenario(name: "namespaceSelector AND podSelector", policies: """
          - name: and
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } }, podSelector: { matchLabels: { pod: b } } }] }]
        """, minimumDenied: 4 * 4),
        Scenario(name: "namespaceSelector OR podSelector", policies: """
          - name: or
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }, { podSelector: { matchLabels: { pod: b } } }] }]
        """, minimumDenied: 4),
        Scenario(name: "ipBlock with except", policies: """
          - name: block
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ from: [{ ipBlock: { cidr: 10.200.0.0/16, except: [10.200.1.0/24] } }] }]
        """, minimumDenied: 2 * 4),
        Scenario(name: "a named port", policies: """
          - name: named
            namespace: x
            podSelector: {}
            ingress: [{ ports: [{ port: http }] }]
        """, minimumDenied: 3 * 3 * 3),
        Scenario(name: "an endPort range", policies: """
          - name: range
            namespace: y
            podSelector: {}
            ingress: [{ ports: [{ port: 79, endPort: 80 }] }]
        """, minimumDenied: 3 * 3 * 3),
        Scenario(name: "UDP only", policies: """
          - name: udp
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ ports: [{ protocol: UDP, port: 81 }] }]
        """, minimumDenied: 5 * 3),
        Scenario(name: "two policies adding up", policies: """
          - name: from-xb
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ from: [{ podSelector: { matchLabels: { pod: b } } }], ports: [{ port: 80 }] }]
          - name: from-y
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }], ports: [{ port: 81 }] }]
        """, minimumDenied: 6),
        Scenario(name: "a policy on a service's endpoint, reached through its ClusterIP", policies: """
          - name: web-from-y
            namespace: x
            podSelector: { matchLabels: { pod: a } }
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }], ports: [{ port: 80 }] }]
        """, minimumDenied: 2 * 4),
        Scenario(name: "egress to one namespace only", policies: """
          - name: out
            namespace: x
            podSelector: { matchLabels: { pod: b } }
            policyTypes: [Egress]
            egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]
        """, minimumDenied: 2 * 4),
        Scenario(name: "egress on a named port, resolved at each destination", policies: """
          - name: out-http
            namespace: y
            podSelector: {}
            egress: [{ ports: [{ port: http }] }]
        """, minimumDenied: 3 * 5),
        Scenario(name: "matchExpressions", policies: """
          - name: expressions
            namespace: y
            podSelector: { matchExpressions: [{ key: pod, operator: In, values: [a, b] }] }
            ingress:
              - from:
                  - namespaceSelector: { matchExpressions: [{ key: ns, operator: Exists }] }
                    podSelector: { matchExpressions: [{ key: pod, operator: NotIn, values: [c] }] }
        """, minimumDenied: 2 * 2 * 4),
        Scenario(name: "deny-all both ways with an allow-all ingress on top", policies: """
          - { name: deny, namespace: x, podSelector: {}, policyTypes: [Ingress, Egress] }
          - name: open
            namespace: x
            podSelector: { matchLabels: { pod: c } }
            ingress: [{}]
        """, minimumDenied: 3 * 3 * 4),
    ]

    func plannedObjects(_ file: URL) throws -> [String] {
        let diff = try PodnetBinary.run(["diff", "--output", "json", file.path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any], "\(diff.stderr)")
        let operations = try #require(json["operations"] as? [[String: Any]])
        return operations.compactMap { $0["object"] as? String }
    }

    @Test func everyScenarioMeasuredEqualsTheModelAndEverySwitchIsMinimal() throws {
        #expect(Self.scenarios.count == 15)
        try withTestCluster(example: "netpol-lab") { cluster, file in
            let base = try String(contentsOf: file, encoding: .utf8)
            let applied = try PodnetBinary.run(["apply", file.path])
            try #require(applied.status == 0, "\(applied.stderr)")
            for (index, scenario) in Self.scenarios.enumerated() {
                try (base + "networkPolicies:\n" + scenario.policies + "\n").write(to: file, atomically: true, encoding: .utf8)
                let objects = try plannedObjects(file)
                #expect(!objects.isEmpty, "\(scenario)")
                // Only the policy table changes (the first scenario also sets the
                // bridge sysctl and makes the table on each node).
                #expect(objects.allSatisfy { $0.hasPrefix("nftables ") || (index == 0 && $0.contains("bridge-nf-call-iptables")) },
                        "\(scenario): \(objects)")
                if index > 0 { #expect(!objects.contains { $0.contains(" table ") }, "\(scenario): \(objects)") }
                let run = try PodnetBinary.run(["apply", file.path])
                #expect(run.status == 0, "\(scenario): \(run.stderr)")
                #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0, "\(scenario): not converged")

                let check = try PodnetBinary.run(["check", "--output", "json", "--connections", "4", file.path])
                let json = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any],
                                        "\(scenario): \(check.stderr)")
                #expect(check.status == 0 && json["ok"] as? Bool == true, "\(scenario): \(json["failures"] ?? check.stderr)")
                let policy = try #require(json["networkPolicy"] as? [String: Any], "\(scenario)")
                let results = try #require(policy["results"] as? [[String: Any]])
                #expect(results.count >= 6 * 6 * 4, "\(scenario)")
                let denied = results.filter { $0["expected"] as? String == "deny" }.count
                #expect(denied >= scenario.minimumDenied, "\(scenario): only \(denied) denied probes")
                #expect(results.contains { $0["expected"] as? String == "allow" }, "\(scenario)")
            }
            // No policy left: the table goes from every node, nothing else changes.
            try base.write(to: file, atomically: true, encoding: .utf8)
            let objects = try plannedObjects(file)
            #expect(objects.count == 3 && objects.allSatisfy { $0.hasPrefix("nftables delete table inet") }, "\(objects)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try shell("ip netns exec \(cluster).node-0 nft list table inet podnet-\(cluster)").status != 0)
        }
    }
}
