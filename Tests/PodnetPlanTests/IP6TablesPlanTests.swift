import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import Testing

/// Both families' iptables in one namespace: the same chain names in iptables and
/// ip6tables are different objects, planned apart, each family's changes written by
/// its own tool.
@Suite struct IP6TablesPlanTests {
    static let namespace = NamespaceRef.named("lab.node-0")
    static let node = Namespace(name: "lab.node-0", mark: OwnershipMark(cluster: "lab", role: "node/node-0"))

    /// A small layout of one family: KUBE-SERVICES to one service chain, and the jump to it.
    static func insert(_ family: AddressFamily, clusterIP: String, endpoint: String, into state: inout KernelState) {
        let id = { (name: String) in IPTablesChain.ID(namespace: namespace, family: family, table: "nat", name: name) }
        state.insert(IPTablesChain(id: id("KUBE-SERVICES"), rules: ["-d \(clusterIP) -p tcp -m tcp --dport 80 -j KUBE-SVC-A"]))
        state.insert(IPTablesChain(id: id("KUBE-SVC-A"), rules: ["-j KUBE-SEP-A"]))
        state.insert(IPTablesChain(id: id("KUBE-SEP-A"), rules: ["-p tcp -m tcp -j DNAT --to-destination \(endpoint)"]))
        state.insert(IPTablesRule(namespace: namespace, family: family, table: "nat", chain: "PREROUTING",
                                  spec: "-m comment --comment \"podnet:lab service portals\" -j KUBE-SERVICES"))
    }

    static var ipv4Only: KernelState {
        var state = KernelState()
        state.insert(node)
        insert(.ipv4, clusterIP: "10.96.0.2/32", endpoint: "10.200.0.2:80", into: &state)
        return state
    }

    static var dualStack: KernelState {
        var state = ipv4Only
        insert(.ipv6, clusterIP: "fd00:96::2/128", endpoint: "[fd00:200::2]:80", into: &state)
        return state
    }

    /// IPv4 to dual stack: only ip6tables' objects are made, in ip6tables commands;
    /// no IPv4 chain is rewritten (the same names, another family).
    @Test func addingIPv6OnlyAddsIPv6Objects() throws {
        let plan = try Planner(cluster: "lab").plan(desired: Self.dualStack, live: Self.ipv4Only)
        #expect(!plan.operations.isEmpty)
        for planned in plan.operations {
            guard case .iptables(let change, _, let family) = planned.operation else {
                Issue.record("not an iptables change: \(planned.operation)")
                continue
            }
            #expect(family == .ipv6 && !change.isDeletion, "\(planned.operation)")
        }
        let commands = CommandRenderer.commands(for: plan)
        #expect(commands.allSatisfy { $0.hasPrefix("ip netns exec lab.node-0 ip6tables -t nat ") }, "\(commands)")
        #expect(commands.contains("ip netns exec lab.node-0 ip6tables -t nat -A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination [fd00:200::2]:80"))
        #expect(plan.operations.map { $0.operation.subject }.contains("ip6tables create nat chain KUBE-SEP-A (1 rule) in lab.node-0"))
        let after = PlanSimulator.apply(plan, to: Self.ipv4Only)
        #expect(after.iptablesChains == Self.dualStack.iptablesChains && after.iptablesRules == Self.dualStack.iptablesRules)
        #expect(try Planner(cluster: "lab").plan(desired: Self.dualStack, live: after).isEmpty)
    }

    /// Dual stack back to IPv4: only ip6tables' objects go; IPv4's stay as they are.
    @Test func removingIPv6OnlyRemovesIPv6Objects() throws {
        let plan = try Planner(cluster: "lab").plan(desired: Self.ipv4Only, live: Self.dualStack)
        #expect(plan.operations.count == 4, "the jump deleted, then three chains: \(plan.operations)")
        for planned in plan.operations {
            guard case .iptables(let change, _, .ipv6) = planned.operation else {
                Issue.record("not an ip6tables change: \(planned.operation)")
                continue
            }
            #expect(change.isDeletion)
        }
        let after = PlanSimulator.apply(plan, to: Self.dualStack)
        #expect(after.iptablesChains == Self.ipv4Only.iptablesChains && after.iptablesRules == Self.ipv4Only.iptablesRules)
    }

    /// A change in one family's endpoint touches that family's chain alone.
    @Test func aChangeInOneFamilyStaysInIt() throws {
        var desired = Self.ipv4Only
        Self.insert(.ipv6, clusterIP: "fd00:96::2/128", endpoint: "[fd00:200::3]:80", into: &desired)
        let plan = try Planner(cluster: "lab").plan(desired: desired, live: Self.dualStack)
        #expect(plan.operations.map(\.operation) == [
            .iptables(.replaceChain(.nat, "KUBE-SEP-A", rules: ["-p tcp -m tcp -j DNAT --to-destination [fd00:200::3]:80"]),
                      namespace: Self.namespace, family: .ipv6),
        ])
    }

    /// The simulator takes ip6tables commands as it takes iptables ones.
    @Test func theSimulatorRunsIP6TablesCommands() throws {
        let changes = IPTablesDiff.changes(live: IPTablesRuleset(), desired: Self.dualStack.iptablesRuleset(in: IPTablesScope(namespace: Self.namespace, family: .ipv6)))
        let commands = IPTablesChange.commands(for: changes, in: Self.namespace, family: .ipv6)
        let dump = try IPTablesSimulator.run(commands, onto: IPTablesDump())
        #expect(dump["nat"]?["KUBE-SEP-A"]?.rules == ["-p tcp -m tcp -j DNAT --to-destination [fd00:200::2]:80"])
    }
}
