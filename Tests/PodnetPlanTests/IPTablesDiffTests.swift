import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// Reading iptables-save, diffing podnet's part, and the restore input and commands
/// the changes become, checked through the strict simulator.
@Suite struct IPTablesDiffTests {
    static let twoServices = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    proxy: { mode: iptables }
    nodes:
      - { name: node-0, podCIDR: 10.200.0.0/24 }
      - { name: node-1, podCIDR: 10.200.1.0/24 }
    pods:
      - { name: a0, node: node-0, ip: 10.200.0.2, labels: { app: web } }
      - { name: a1, node: node-0, ip: 10.200.0.3, labels: { app: db } }
      - { name: b,  node: node-1, ip: 10.200.1.2, labels: { app: web } }
    services:
      - { name: web, clusterIP: 10.96.0.2, selector: { app: web }, ports: [{ port: 8080 }] }
      - { name: db, clusterIP: 10.96.0.3, selector: { app: db }, ports: [{ port: 5432 }] }
    """

    static func ruleset(_ text: String) throws -> IPTablesRuleset {
        let loaded = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(loaded.topology, "\(loaded.diagnostics.map(\.message))")
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0])
    }

    /// The namespace after the changes ran as one restore, and as commands: both
    /// must give the same, and the simulator must accept every line.
    static func applied(_ changes: [IPTablesChange], to dump: IPTablesDump,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> IPTablesDump {
        let restored = try IPTablesSimulator.restore(IPTablesChange.restoreInput(for: changes), onto: dump)
        let commanded = try IPTablesSimulator.run(IPTablesChange.commands(for: changes, in: .named("lab.node-0")), onto: dump)
        #expect(restored == commanded, "restore and commands end differently", sourceLocation: sourceLocation)
        return restored
    }

    @Test func aFreshNamespaceGetsEverythingInOneRestore() throws {
        let desired = try Self.ruleset(Self.twoServices)
        let changes = IPTablesDiff.changes(live: IPTablesRuleset(), desired: desired)
        let input = IPTablesChange.restoreInput(for: changes)
        #expect(input.hasPrefix("*filter\n:KUBE-SERVICES - [0:0]\n"))
        #expect(input.components(separatedBy: "COMMIT\n").count == 3, "one section per table")
        let after = try Self.applied(changes, to: IPTablesDump())
        #expect(after.ruleset(ownedBy: "lab") == desired)
        #expect(IPTablesDiff.changes(live: after.ruleset(ownedBy: "lab"), desired: desired).isEmpty)
        // Commands create what is jumped to before what jumps.
        let commands = IPTablesChange.commands(for: changes)
        let firstJumpToSEP = try #require(commands.firstIndex { $0.contains("-j KUBE-SEP-") })
        let lastSEPCreated = try #require(commands.lastIndex { $0.contains("-N KUBE-SEP-") })
        #expect(lastSEPCreated < firstJumpToSEP)
    }

    @Test func anEndpointChangeTouchesOnlyThatServicesChains() throws {
        let live = try Self.ruleset(Self.twoServices)
        let desired = try Self.ruleset(Self.twoServices.replacingOccurrences(of: "labels: { app: db }", with: "labels: { app: web }"))
        let changes = IPTablesDiff.changes(live: live, desired: desired)
        // web gains a1: its KUBE-SVC is rewritten and a1's KUBE-SEP created; db loses
        // its only endpoint: its chains go, its KUBE-SERVICES rule goes, a reject comes.
        let web = IPTablesProxyNames.serviceChain(portName: "lab/web:8080", protocol: .tcp)
        let db = IPTablesProxyNames.serviceChain(portName: "lab/db:5432", protocol: .tcp)
        let newSEP = IPTablesProxyNames.endpointChain(portName: "lab/web:8080", protocol: .tcp, endpoint: "10.200.0.3:8080")
        let oldSEP = IPTablesProxyNames.endpointChain(portName: "lab/db:5432", protocol: .tcp, endpoint: "10.200.0.3:5432")
        #expect(changes.map(\.description) == [
            "delete from nat KUBE-SERVICES: -d 10.96.0.3/32 -p tcp -m comment --comment \"lab/db:5432 cluster IP\" -m tcp --dport 5432 -j \(db)",
            "create nat chain \(newSEP) (2 rules)",
            "rewrite nat chain \(web) (4 rules)",
            "insert into filter KUBE-SERVICES: -d 10.96.0.3/32 -p tcp -m comment --comment \"lab/db:5432 has no endpoints\" -m tcp --dport 5432 -j REJECT --reject-with icmp-port-unreachable",
            "delete nat chain \(db)",
            "delete nat chain \(oldSEP)",
        ])
        let after = try Self.applied(changes, to: try Self.applied(IPTablesDiff.changes(live: IPTablesRuleset(), desired: live), to: IPTablesDump()))
        #expect(after.ruleset(ownedBy: "lab") == desired)
    }

    @Test func aPortChangeIsOneRuleOutOneRuleInAndTheChainsOfThatPort() throws {
        let live = try Self.ruleset(Self.twoServices)
        let desired = try Self.ruleset(Self.twoServices.replacingOccurrences(of: "port: 5432", with: "port: 5433"))
        let changes = IPTablesDiff.changes(live: live, desired: desired)
        let old = IPTablesProxyNames.serviceChain(portName: "lab/db:5432", protocol: .tcp)
        let new = IPTablesProxyNames.serviceChain(portName: "lab/db:5433", protocol: .tcp)
        let oldSEP = IPTablesProxyNames.endpointChain(portName: "lab/db:5432", protocol: .tcp, endpoint: "10.200.0.3:5432")
        let newSEP = IPTablesProxyNames.endpointChain(portName: "lab/db:5433", protocol: .tcp, endpoint: "10.200.0.3:5433")
        let input = IPTablesChange.restoreInput(for: changes)
        #expect(input == """
            *nat
            :\(newSEP) - [0:0]
            :\(new) - [0:0]
            :\(old) - [0:0]
            :\(oldSEP) - [0:0]
            -D KUBE-SERVICES -d 10.96.0.3/32 -p tcp -m comment --comment "lab/db:5432 cluster IP" -m tcp --dport 5432 -j \(old)
            -A \(newSEP) -s 10.200.0.3/32 -m comment --comment "lab/db:5433" -j KUBE-MARK-MASQ
            -A \(newSEP) -p tcp -m comment --comment "lab/db:5433" -m tcp -j DNAT --to-destination 10.200.0.3:5433
            -A \(new) ! -s 10.200.0.0/16 -d 10.96.0.3/32 -p tcp -m comment --comment "lab/db:5433 cluster IP" -m tcp --dport 5433 -j KUBE-MARK-MASQ
            -A \(new) -m comment --comment "lab/db:5433 -> 10.200.0.3:5433" -j \(newSEP)
            -I KUBE-SERVICES -d 10.96.0.3/32 -p tcp -m comment --comment "lab/db:5433 cluster IP" -m tcp --dport 5433 -j \(new)
            -X \(old)
            -X \(oldSEP)
            COMMIT

            """)
        #expect(!input.contains("lab/web"), "the other service is untouched")
        let live0 = try Self.applied(IPTablesDiff.changes(live: IPTablesRuleset(), desired: live), to: IPTablesDump())
        #expect(try Self.applied(changes, to: live0).ruleset(ownedBy: "lab") == desired)
    }

    /// A user's rules in built-in chains and a user's chain survive every change,
    /// in their order, and podnet's jumps go before them.
    @Test func aUsersRulesAreKept() throws {
        let desired = try Self.ruleset(Self.twoServices)
        let user = IPTablesDump(iptablesSave: """
            *nat
            :PREROUTING ACCEPT [12:720]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :MY-DNAT - [0:0]
            -A PREROUTING -p tcp -m tcp --dport 2222 -j MY-DNAT
            -A PREROUTING -m comment --comment "podnet:other service portals" -j ACCEPT
            -A POSTROUTING -o eth9 -j MASQUERADE
            -A MY-DNAT -p tcp -j DNAT --to-destination 10.0.0.9:22
            COMMIT
            *mangle
            :PREROUTING ACCEPT [0:0]
            :KUBE-IN-MANGLE - [0:0]
            -A PREROUTING -j KUBE-IN-MANGLE
            COMMIT
            """)
        var after = try Self.applied(IPTablesDiff.changes(live: user.ruleset(ownedBy: "lab"), desired: desired), to: user)
        let nat = try #require(after["nat"])
        #expect(nat["PREROUTING"]?.rules == [
            "-m comment --comment \"podnet:lab service portals\" -j KUBE-SERVICES",
            "-p tcp -m tcp --dport 2222 -j MY-DNAT",
            "-m comment --comment \"podnet:other service portals\" -j ACCEPT",
        ])
        #expect(nat["POSTROUTING"]?.rules.last == "-o eth9 -j MASQUERADE")
        #expect(nat["MY-DNAT"] == user["nat"]!["MY-DNAT"])
        #expect(after["mangle"] == user["mangle"], "tables podnet does not write are not read as its")

        // Removing podnet's rules entirely (another proxy mode) leaves exactly the user's.
        after = try Self.applied(IPTablesDiff.changes(live: after.ruleset(ownedBy: "lab"), desired: IPTablesRuleset()), to: after)
        #expect(after["nat"]!.orderedChains.map(\.rules) == user["nat"]!.orderedChains.map(\.rules))
        #expect(after["filter"]!.orderedChains.allSatisfy { $0.rules.isEmpty && $0.policy != nil })
    }

    @Test func ownershipInSomeoneElsesNamespaceNeedsPodnetsJumps() {
        let kubeProxy = """
        # Generated by iptables-save v1.8.9 (nf_tables) on Mon Nov 23 00:48:12 2026
        *nat
        :PREROUTING ACCEPT [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
        -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
        -A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
        COMMIT
        # Completed on Mon Nov 23 00:48:12 2026
        """
        let dump = IPTablesDump(iptablesSave: kubeProxy)
        #expect(dump.ruleset(ownedBy: "lab").isEmpty, "a kube-proxy's chains are never podnet's")
        #expect(dump.ruleset(ownedBy: "lab", ownership: .wholeNamespace).nat.chains.count == 2, "in a lab node, they are")
        #expect(dump.conflicts(cluster: "lab").map(\.description) == [
            "nat PREROUTING has a rule podnet did not make that jumps into kube-proxy-style chains: -A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "nat chain KUBE-SERVICES exists but podnet did not make it (kube-proxy's?)",
            "nat chain KUBE-SVC-NPX46M4PTMTKRN6Y exists but podnet did not make it (kube-proxy's?)",
        ])
        // With podnet's jump there, the chains are podnet's and nothing conflicts.
        let podnets = kubeProxy.replacingOccurrences(of: "kubernetes service portals", with: "podnet:lab service portals")
        #expect(IPTablesRuleset.parse(iptablesSave: podnets, cluster: "lab").nat.chains.count == 2)
        #expect(IPTablesDump(iptablesSave: podnets).conflicts(cluster: "lab").isEmpty)
        #expect(IPTablesRuleset.parse(iptablesSave: podnets, cluster: "other").isEmpty)
    }

    @Test func iptablesSaveReadsBackAsWritten() throws {
        let saved = """
        # Generated by iptables-save v1.8.9 (nf_tables) on Mon Nov 23 00:48:12 2026
        # Warning: iptables-legacy tables present, use iptables-legacy-save to see them
        *filter
        :INPUT DROP [5:300]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :KUBE-SERVICES - [0:0]
        -A INPUT -i lo -j ACCEPT
        -A KUBE-SERVICES -d 10.96.0.3/32 -p udp -m comment --comment "lab/x:53 has no endpoints" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable
        COMMIT
        # Completed on Mon Nov 23 00:48:12 2026

        """
        let dump = IPTablesDump(iptablesSave: saved)
        #expect(dump.text == """
            *filter
            :INPUT DROP [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :KUBE-SERVICES - [0:0]
            -A INPUT -i lo -j ACCEPT
            -A KUBE-SERVICES -d 10.96.0.3/32 -p udp -m comment --comment "lab/x:53 has no endpoints" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable
            COMMIT

            """)
        #expect(IPTablesDump(iptablesSave: dump.text) == dump)
        // The rendered ruleset written out and read back is the same ruleset.
        let desired = try Self.ruleset(Self.twoServices)
        let written = try IPTablesSimulator.restore(IPTablesChange.restoreInput(for: IPTablesDiff.changes(live: IPTablesRuleset(), desired: desired)), onto: IPTablesDump())
        #expect(IPTablesRuleset.parse(iptablesSave: written.text, cluster: "lab") == desired)
    }

    @Test func rulesInUnorderedChainsCompareAsSets() {
        var a = IPTablesRuleset()
        a.setChain("KUBE-SERVICES", in: .nat, rules: ["-d 10.96.0.3/32 -j KUBE-SVC-B", "-d 10.96.0.2/32 -j KUBE-SVC-A"])
        var b = IPTablesRuleset()
        b.appendRule("-d 10.96.0.2/32 -j KUBE-SVC-A", to: "KUBE-SERVICES", in: .nat)
        b.appendRule("-d 10.96.0.3/32 -j KUBE-SVC-B", to: "KUBE-SERVICES", in: .nat)
        #expect(a == b)
        // But a chain whose order matters does not.
        a.setChain("KUBE-SVC-A", in: .nat, rules: ["x", "y"])
        b.setChain("KUBE-SVC-A", in: .nat, rules: ["y", "x"])
        #expect(a != b)
        #expect(IPTablesDiff.changes(live: b, desired: a) == [.replaceChain(.nat, "KUBE-SVC-A", rules: ["x", "y"])])
    }

    @Test func aRuleAUserDuplicatedIsDeletedOnce() {
        var desired = IPTablesRuleset()
        desired.setChain("KUBE-SERVICES", in: .nat, rules: ["-d 10.96.0.2/32 -j ACCEPT"])
        var live = desired
        live.appendRule("-d 10.96.0.2/32 -j ACCEPT", to: "KUBE-SERVICES", in: .nat)
        #expect(IPTablesDiff.changes(live: live, desired: desired) == [.deleteRule(.nat, chain: "KUBE-SERVICES", rule: "-d 10.96.0.2/32 -j ACCEPT")])
    }

    @Test func theSimulatorRefusesWhatIPTablesRefuses() {
        let empty = IPTablesDump()
        #expect(throws: IPTablesSimulator.Failure.self) { try IPTablesSimulator.restore("*nat\n-A KUBE-X -j ACCEPT\nCOMMIT\n", onto: empty) }
        #expect(throws: IPTablesSimulator.Failure.self) { try IPTablesSimulator.restore("*nat\n:KUBE-X - [0:0]\n-A KUBE-X -j KUBE-Y\nCOMMIT\n", onto: empty) }
        #expect(throws: IPTablesSimulator.Failure.self) { try IPTablesSimulator.restore("*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-X B\nCOMMIT\n", onto: empty) }
        #expect(throws: IPTablesSimulator.Failure.self) { try IPTablesSimulator.restore("*nat\n-D PREROUTING -j ACCEPT\nCOMMIT\n", onto: empty) }
        #expect(throws: IPTablesSimulator.Failure.self) { try IPTablesSimulator.run(["iptables -t nat -N A", "iptables -t nat -N A"], onto: empty) }
        #expect(throws: IPTablesSimulator.Failure.self) { try IPTablesSimulator.run(["iptables -t nat -N A", "iptables -t nat -A A -j ACCEPT", "iptables -t nat -X A"], onto: empty) }
    }
}
