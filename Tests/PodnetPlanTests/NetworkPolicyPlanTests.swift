import PodnetKernelModel
import PodnetPlan
import PodnetRender
import Testing

/// Policies are reconciled like every other object: a change of the file is the
/// smallest change of the policy table, and a pod's labels move set elements only.
@Suite struct NetworkPolicyPlanTests {
    static let cluster = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    nodes:
      - { name: node-0, podCIDR: 10.200.0.0/24 }
      - { name: node-1, podCIDR: 10.200.1.0/24 }
    namespaces:
      - { name: prod }
    pods:
      - { name: db, node: node-0, namespace: prod, ip: 10.200.0.2, labels: { app: db } }
      - { name: web, node: node-1, namespace: prod, ip: 10.200.1.2, labels: { app: web } }
      - { name: tool, node: node-1, namespace: prod, ip: 10.200.1.3, labels: { app: TOOL } }
    networkPolicies:
      - name: db-clients
        namespace: prod
        podSelector: { matchLabels: { app: db } }
        ingress:
          - from: [{ podSelector: { matchLabels: { app: web } } }]
            ports: [{ port: 5432 }]
    """
    let planner = Planner(cluster: "lab")

    func changes(from before: String, to after: String) throws -> [NFTablesChange] {
        let live = try desiredState(before)
        let desired = try desiredState(after)
        let plan = try planner.plan(desired: desired, live: live)
        // A sysctl the file stops wanting is left as it is (podnet never guesses the
        // value it had before), so convergence is judged without them.
        var result = owned(applied(plan, to: live), cluster: "lab")
        result.sysctls = result.sysctls.filter { desired.sysctls[$0.key] != nil }
        #expect(result == desired, "the plan converges")
        return plan.operations.compactMap { if case .nftables(let change) = $0.operation { return change } else { return nil } }
    }

    @Test func labellingAPodIntoAPeerSelectorChangesOnlySetElements() throws {
        let changes = try changes(from: Self.cluster, to: Self.cluster.replacingOccurrences(of: "app: TOOL", with: "app: web"))
        // The peer set on the one node that uses it (node-0, db's); no rule, chain or map.
        #expect(changes.count == 1)
        guard case .addElements(let table, let set, let elements)? = changes.first else {
            Issue.record("not an element change: \(changes)")
            return
        }
        #expect(table == NFTable.ID(namespace: .named("lab.node-0"), family: .inet, name: "podnet-lab"))
        #expect(set.hasPrefix("pods-"))
        #expect(elements == [NFTSetElement(key: [.ipv4(.init(10, 200, 1, 3))])])
        // And back out of it.
        let back = try self.changes(from: Self.cluster.replacingOccurrences(of: "app: TOOL", with: "app: web"), to: Self.cluster)
        #expect(back.count == 1)
        if case .deleteElements(_, let name, _)? = back.first { #expect(name == set) } else { Issue.record("\(back)") }
    }

    @Test func aPodIsolatedByAPolicyGetsItsChainAndElementOnly() throws {
        let changes = try changes(from: Self.cluster, to: Self.cluster.replacingOccurrences(of: "app: TOOL", with: "app: db"))
        let descriptions = changes.map(\.description)
        // tool runs on node-1: its chain, its three rules, its map element, and there the
        // policy chain with its peer set (node-1 had no isolated pod until now).
        #expect(descriptions.contains("add chain to-tool"))
        #expect(descriptions.contains("add 1 element to ingress-pods"))
        #expect(changes.allSatisfy { $0.table.namespace == .named("lab.node-1") })
        #expect(!changes.contains { $0.isDeletion })
    }

    @Test func changingAPortRewritesOnlyThatPolicysChain() throws {
        let changes = try changes(from: Self.cluster, to: Self.cluster.replacingOccurrences(of: "port: 5432", with: "port: 5433"))
        let chains = Set(changes.compactMap { change -> String? in
            switch change {
            case .flushChain(_, let name), .addRule(_, let name, _): return name
            default: return nil
            }
        })
        #expect(chains == ["ingress-prod/db-clients"])
        #expect(changes.allSatisfy { $0.table.namespace == .named("lab.node-0") })
    }

    @Test func removingEveryPolicyDeletesTheTable() throws {
        let without = String(Self.cluster.prefix(upTo: Self.cluster.range(of: "networkPolicies:")!.lowerBound))
        let changes = try changes(from: Self.cluster, to: without)
        #expect(Set(changes.map(\.description)) == ["delete table inet podnet-lab and everything in it"])
        #expect(changes.count == 2)
    }
}
