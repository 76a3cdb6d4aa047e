import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// Converging a service's type, NodePort, traffic policy and affinity in iptables
/// mode: each change touches only the chains and rules that differ, works as one
/// restore and command by command (the strict simulator), and keeps the jump to
/// KUBE-NODEPORTS last in the kernel's KUBE-SERVICES.
@Suite struct IPTablesExternalTrafficPlanTests {
    typealias Names = IPTablesProxyNames
    static let web = "lab/web:8080"
    static let ext = Names.externalChain(portName: web, protocol: .tcp)
    static let svc = Names.serviceChain(portName: web, protocol: .tcp)
    static let svl = Names.localServiceChain(portName: web, protocol: .tcp)

    /// IPTablesDiffTests' two services (web: a0 on node-0, b on node-1), web changed by `change`.
    static func ruleset(node: Int = 0, _ change: (inout Service) -> Void = { _ in }) throws -> IPTablesRuleset {
        let loaded = TopologyLoader.load(text: IPTablesDiffTests.twoServices, file: "t.yaml")
        var topology = try #require(loaded.topology, "\(loaded.diagnostics.map(\.message))")
        change(&topology.services[0])
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[node])
    }

    static func nodePort(_ port: Int = 30080, _ policy: TrafficPolicy = .cluster) -> (inout Service) -> Void {
        { service in
            service.type = .nodePort
            service.ports[0].nodePort = port
            service.externalTrafficPolicy = policy
        }
    }

    /// The changes from `live` to `desired`, checked: applied to a namespace holding
    /// `live`, they give `desired`, and a second diff is empty. Returns the namespace after.
    @discardableResult
    static func converge(_ live: IPTablesRuleset, _ desired: IPTablesRuleset, changes: inout [IPTablesChange],
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> IPTablesDump {
        let before = try IPTablesDiffTests.applied(IPTablesDiff.changes(live: IPTablesRuleset(), desired: live), to: IPTablesDump())
        changes = IPTablesDiff.changes(live: before.ruleset(ownedBy: "lab"), desired: desired)
        let after = try IPTablesDiffTests.applied(changes, to: before, sourceLocation: sourceLocation)
        #expect(after.ruleset(ownedBy: "lab") == desired, sourceLocation: sourceLocation)
        #expect(IPTablesDiff.changes(live: after.ruleset(ownedBy: "lab"), desired: desired).isEmpty, sourceLocation: sourceLocation)
        return after
    }

    @Test func becomingANodePortAddsOnlyTheExternalChainsAndJumps() throws {
        var changes: [IPTablesChange] = []
        let after = try Self.converge(try Self.ruleset(), try Self.ruleset(Self.nodePort()), changes: &changes)
        #expect(changes.map(\.description) == [
            "create filter chain KUBE-EXTERNAL-SERVICES (0 rules)",
            "create nat chain \(Self.ext) (2 rules)",
            "create nat chain KUBE-NODEPORTS (1 rule)",
            "insert into filter INPUT: -m conntrack --ctstate NEW -m comment --comment \"podnet:lab externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES",
            "insert into filter FORWARD: -m conntrack --ctstate NEW -m comment --comment \"podnet:lab externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES",
            "append to nat KUBE-SERVICES: ! -d 127.0.0.0/8 -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS",
        ])
        #expect(after["nat"]?["KUBE-SERVICES"]?.rules.last?.hasSuffix("-j KUBE-NODEPORTS") == true)
        // And back: exactly the same undone, nothing else touched.
        try Self.converge(try Self.ruleset(Self.nodePort()), try Self.ruleset(), changes: &changes)
        #expect(changes.count == 6)
        #expect(changes.allSatisfy { $0.isDeletion })
    }

    @Test func aNewNodePortIsOneRuleOutAndOneIn() throws {
        var changes: [IPTablesChange] = []
        try Self.converge(try Self.ruleset(Self.nodePort(30080)), try Self.ruleset(Self.nodePort(30081)), changes: &changes)
        #expect(changes == [
            .deleteRule(.nat, chain: "KUBE-NODEPORTS", rule: "-p tcp -m comment --comment \"\(Self.web)\" -m tcp --dport 30080 -j \(Self.ext)"),
            .insertRule(.nat, chain: "KUBE-NODEPORTS", rule: "-p tcp -m comment --comment \"\(Self.web)\" -m tcp --dport 30081 -j \(Self.ext)"),
        ])
    }

    @Test func aLocalExternalPolicyRewritesOnlyTheExternalChain() throws {
        var changes: [IPTablesChange] = []
        try Self.converge(try Self.ruleset(Self.nodePort()), try Self.ruleset(Self.nodePort(30080, .local)), changes: &changes)
        #expect(changes.map(\.description) == ["create nat chain \(Self.svl) (1 rule)", "rewrite nat chain \(Self.ext) (4 rules)"])
        // At a node without an endpoint of the service: its drop instead of the local chain.
        let noEndpoint: (inout Service) -> Void = { service in
            Self.nodePort(30080, .local)(&service)
            service.endpoints = ["a0"]
        }
        try Self.converge(try Self.ruleset(node: 1, Self.nodePort()), try Self.ruleset(node: 1, noEndpoint), changes: &changes)
        let sepB = Names.endpointChain(portName: Self.web, protocol: .tcp, endpoint: "10.200.1.2:8080")
        #expect(changes.map(\.description) == [
            "rewrite nat chain \(Self.svc) (2 rules)",
            "rewrite nat chain \(Self.ext) (3 rules)",
            "insert into filter KUBE-EXTERNAL-SERVICES: -p tcp -m comment --comment \"\(Self.web) has no local endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP",
            "delete nat chain \(sepB)",
        ])
    }

    @Test func clientIPAffinityRewritesTheServicesChainsOnly() throws {
        var changes: [IPTablesChange] = []
        let affinity: (inout Service) -> Void = { $0.sessionAffinity = .clientIP(timeoutSeconds: 10800) }
        try Self.converge(try Self.ruleset(), try Self.ruleset(affinity), changes: &changes)
        #expect(changes.count == 3)
        #expect(changes.allSatisfy { if case .replaceChain = $0 { return true } else { return false } })
        let endpointChains = ["10.200.0.2", "10.200.1.2"].map { Names.endpointChain(portName: Self.web, protocol: .tcp, endpoint: "\($0):8080") }
        #expect(Set(changes.map(\.chain)) == Set([Self.svc] + endpointChains))
    }

    @Test func aLocalInternalPolicyMovesTheClusterIPRuleToTheLocalChain() throws {
        var changes: [IPTablesChange] = []
        let local: (inout Service) -> Void = { $0.internalTrafficPolicy = .local }
        try Self.converge(try Self.ruleset(node: 1), try Self.ruleset(node: 1, local), changes: &changes)
        let sepA0 = Names.endpointChain(portName: Self.web, protocol: .tcp, endpoint: "10.200.0.2:8080")
        #expect(changes.map(\.description) == [
            "delete from nat KUBE-SERVICES: -d 10.96.0.2/32 -p tcp -m comment --comment \"\(Self.web) cluster IP\" -m tcp --dport 8080 -j \(Self.svc)",
            "create nat chain \(Self.svl) (2 rules)",
            "insert into nat KUBE-SERVICES: -d 10.96.0.2/32 -p tcp -m comment --comment \"\(Self.web) cluster IP\" -m tcp --dport 8080 -j \(Self.svl)",
            "delete nat chain \(Self.svc)",
            "delete nat chain \(sepA0)",
        ])
    }

    /// A service added to a cluster with NodePorts is inserted at the top of
    /// KUBE-SERVICES, so that the kernel still has the jump to KUBE-NODEPORTS last.
    @Test func aNewServiceLandsBeforeTheJumpToNodePorts() throws {
        var changes: [IPTablesChange] = []
        let live = try Self.ruleset(Self.nodePort())
        var desired = live
        desired.appendRule("-d 10.96.9.9/32 -p tcp -m comment --comment \"lab/new:1 cluster IP\" -m tcp --dport 1 -j KUBE-MARK-MASQ",
                           to: "KUBE-SERVICES", in: .nat)
        let after = try Self.converge(live, desired, changes: &changes)
        #expect(changes.count == 1)
        #expect(IPTablesChange.commands(for: changes, in: .named("lab.node-0")).allSatisfy { $0.hasPrefix("ip netns exec lab.node-0 iptables -t nat -I KUBE-SERVICES ") })
        let kernel = try #require(after["nat"]?["KUBE-SERVICES"]?.rules)
        #expect(kernel.first?.contains("lab/new:1") == true)
        #expect(kernel.last?.hasSuffix("-j KUBE-NODEPORTS") == true)
    }
}
