import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// For random desired rulesets and random live namespaces (another ruleset, damaged
/// by hand, with a user's rules and chains around it): the changes run through the
/// strict simulator, as one restore and as commands, give exactly the desired
/// ruleset, leave every rule and chain that is not podnet's as it was, and a second
/// diff finds nothing.
@Suite struct IPTablesDiffPropertyTests {
    static func randomTopology(_ random: inout SeededGenerator) -> String {
        var text = """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        proxy: { mode: iptables }
        network: { masquerade: \(Bool.random(using: &random)) }
        nodes:
          - { name: node-0 }
          - { name: node-1 }
        pods:

        """
        let pods = Int.random(in: 1...6, using: &random)
        for pod in 0..<pods {
            let app = ["web", "db", "cache"].randomElement(using: &random)!
            text += "  - { name: p\(pod), node: node-\(pod % 2), labels: { app: \(app) } }\n"
        }
        text += "services:\n"
        let services = Int.random(in: 0...4, using: &random)
        for service in 0..<services {
            let ports = (0..<Int.random(in: 1...2, using: &random)).map { index in
                let proto = Bool.random(using: &random) ? "TCP" : "UDP"
                return "{ port: \(80 + index + 10 * Int.random(in: 0...2, using: &random)), targetPort: \(8000 + Int.random(in: 0...2, using: &random)), protocol: \(proto) }"
            }
            let selector = ["web", "db", "cache", "none"].randomElement(using: &random)!
            // Traffic from outside: a NodePort (allocated), an external IP, Local
            // policies, ClientIP affinity, each at random.
            var external = ""
            if Bool.random(using: &random) { external += ", type: NodePort" }
            if Int.random(in: 0...3, using: &random) == 0 { external += ", externalIPs: [203.0.113.\(service + 1)]" }
            if Bool.random(using: &random), !external.isEmpty { external += ", externalTrafficPolicy: Local" }
            if Int.random(in: 0...3, using: &random) == 0 { external += ", internalTrafficPolicy: Local" }
            if Int.random(in: 0...3, using: &random) == 0 { external += ", sessionAffinity: ClientIP" }
            text += "  - { name: s\(service), clusterIP: 10.96.0.\(10 + Int.random(in: 0...3, using: &random) * 10 + service), selector: { app: \(selector) }\(external), ports: [\(ports.joined(separator: ", "))] }\n"
        }
        return services == 0 ? text.replacingOccurrences(of: "services:\n", with: "") : text
    }

    static func ruleset(_ text: String) -> IPTablesRuleset? {
        // Random ports may collide (the file is then invalid): such a case is skipped.
        guard let topology = TopologyLoader.load(text: text, file: "t.yaml").topology else { return nil }
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0])
    }

    /// Someone else's rules, which must survive: in built-in chains around podnet's,
    /// a chain of their own, and another cluster's marked rule.
    static func addUsersRules(to dump: inout IPTablesDump, _ random: inout SeededGenerator) {
        for name in ["nat", "filter"] {
            var table = dump[name] ?? IPTablesDump.Table(name: name)
            for chain in IPTablesTable(rawValue: name)!.builtinChains where table[chain] == nil {
                table[chain] = IPTablesDump.Chain(name: chain, policy: "ACCEPT")
            }
            table["USER-CHAIN"] = IPTablesDump.Chain(name: "USER-CHAIN", policy: nil, rules: ["-s 192.0.2.1/32 -j RETURN"])
            for (index, chain) in IPTablesTable(rawValue: name)!.builtinChains.enumerated() where Bool.random(using: &random) {
                var builtin = table[chain]!
                let rules = ["-s 192.0.2.\(index)/32 -j USER-CHAIN",
                             "-m comment --comment \"podnet:other service portals\" -j ACCEPT",
                             "-d 198.51.100.\(index)/32 -j RETURN"]
                for rule in rules.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)) {
                    builtin.rules.insert(rule, at: Int.random(in: 0...builtin.rules.count, using: &random))
                }
                table[chain] = builtin
            }
            dump[name] = table
        }
    }

    /// What a hand or a crash may have done to podnet's part; the dump stays one
    /// iptables would accept (nothing jumps to a chain that is gone).
    static func damage(_ dump: inout IPTablesDump, _ random: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            let name = Bool.random(using: &random) ? "nat" : "filter"
            guard var table = dump[name] else { continue }
            let owned = table.chainNames.filter(IPTablesRuleset.isOwnableChain)
            switch Int.random(in: 0...6, using: &random) {
            case 0:  // a rule deleted from one of podnet's chains
                if let chain = owned.randomElement(using: &random), var value = table[chain], !value.rules.isEmpty {
                    value.rules.remove(at: Int.random(in: 0..<value.rules.count, using: &random))
                    table[chain] = value
                }
            case 1:  // a rule added to one of podnet's chains, possibly twice
                if let chain = owned.randomElement(using: &random) {
                    table.append("-d 203.0.113.7/32 -j RETURN", to: chain)
                    if Bool.random(using: &random) { table.append("-d 203.0.113.7/32 -j RETURN", to: chain) }
                }
            case 2:  // a chain removed, with what jumped to it
                if let chain = owned.randomElement(using: &random) {
                    for other in table.chainNames {
                        var value = table[other]!
                        value.rules.removeAll { IPTablesRuleText.target(of: $0) == chain }
                        table[other] = value
                    }
                    table[chain] = nil
                }
            case 3:  // a stray endpoint chain
                let stray = "KUBE-SEP-STRAY\(Int.random(in: 0...9, using: &random))"
                table[stray] = IPTablesDump.Chain(name: stray, policy: nil, rules: ["-p tcp -m tcp -j DNAT --to-destination 10.200.9.9:80"])
            case 4:  // KUBE-SERVICES in another order
                if var value = table["KUBE-SERVICES"] {
                    value.rules.shuffle(using: &random)
                    table["KUBE-SERVICES"] = value
                }
            case 5:  // one of podnet's jumps deleted
                for chain in IPTablesTable(rawValue: name)!.builtinChains {
                    guard var value = table[chain], let index = value.rules.firstIndex(where: { $0.contains("podnet:lab ") }) else { continue }
                    value.rules.remove(at: index)
                    table[chain] = value
                    break
                }
            default:  // rules of an ordered chain swapped
                if let chain = owned.filter({ $0 != "KUBE-SERVICES" }).randomElement(using: &random), var value = table[chain], value.rules.count > 1 {
                    value.rules.swapAt(0, value.rules.count - 1)
                    table[chain] = value
                }
            }
            dump[name] = table
        }
    }

    /// Everything of a dump that is not podnet's: rules of built-in chains without
    /// its mark (in order), and chains it may not own.
    static func notPodnets(_ dump: IPTablesDump) -> [String] {
        var lines: [String] = []
        for name in dump.tableNames {
            let table = dump[name]!
            for chain in table.orderedChains where !IPTablesRuleset.isOwnableChain(chain.name) {
                lines.append("\(name) :\(chain.name) \(chain.policy ?? "-")")
                for rule in chain.rules {
                    if let comment = IPTablesRuleText.comment(of: rule), IPTablesRuleset.isMarked(comment: comment, cluster: "lab") { continue }
                    lines.append("\(name) -A \(chain.name) \(rule)")
                }
            }
        }
        return lines
    }

    @Test(arguments: 0..<300)
    func changesConverge(seed: Int) throws {
        var random = SeededGenerator(state: UInt64(seed))
        guard let desired = Self.ruleset(Self.randomTopology(&random)),
              let before = Self.ruleset(Self.randomTopology(&random)) else { return }
        var live = try IPTablesSimulator.restore(
            IPTablesChange.restoreInput(for: IPTablesDiff.changes(live: IPTablesRuleset(), desired: before)), onto: IPTablesDump())
        Self.addUsersRules(to: &live, &random)
        Self.damage(&live, &random)

        let changes = IPTablesDiff.changes(live: live.ruleset(ownedBy: "lab", ownership: .wholeNamespace), desired: desired)
        let restored = try IPTablesSimulator.restore(IPTablesChange.restoreInput(for: changes), onto: live)
        let commanded = try IPTablesSimulator.run(IPTablesChange.commands(for: changes, in: .named("lab.node-0")), onto: live)
        for after in [restored, commanded] {
            let owned = after.ruleset(ownedBy: "lab", ownership: .wholeNamespace)
            #expect(owned == desired)
            #expect(IPTablesDiff.changes(live: owned, desired: desired).isEmpty)
            #expect(Self.notPodnets(after) == Self.notPodnets(live))
            // The kernel keeps a trailing rule last, unless a hand put it elsewhere
            // before (podnet compares unordered chains as sets: see the README).
            for name in ["nat", "filter"] {
                for chain in IPTablesRuleset.unorderedChains where Self.trailingIsLast(live[name]?[chain]) {
                    #expect(Self.trailingIsLast(after[name]?[chain]), "\(name) \(chain): \(after[name]?[chain]?.rules ?? [])")
                }
            }
        }
    }

    /// Whether no rule of the chain comes after one of its trailing rules.
    static func trailingIsLast(_ chain: IPTablesDump.Chain?) -> Bool {
        guard let rules = chain?.rules, let first = rules.firstIndex(where: IPTablesRuleset.isTrailing) else { return true }
        return rules[first...].allSatisfy(IPTablesRuleset.isTrailing)
    }
}
