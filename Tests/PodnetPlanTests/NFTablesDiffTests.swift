import Foundation
import PodnetAddress
import PodnetKernelModel
@testable import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

@Suite struct NFTablesDiffTests {
    static let example = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    network: { backend: host-gw }
    nodes:
      - { name: node-0, podCIDR: 10.200.0.0/24, bridge: br0 }
      - { name: node-1, podCIDR: 10.200.1.0/24, bridge: br1 }
    pods:
      - { name: a0, node: node-0, ip: 10.200.0.2, labels: { app: web } }
      - { name: a1, node: node-0, ip: 10.200.0.3 }
      - { name: b,  node: node-1, ip: 10.200.1.2, labels: { app: web } }
      - { name: c,  node: node-1, ip: 10.200.1.3, labels: { app: db } }
    services:
      - name: kube-svc-1
        clusterIP: 10.96.0.2
        selector: { app: web }
        ports:
          - { port: 8080 }
      - name: db
        clusterIP: 10.96.0.3
        selector: { app: db }
        ports:
          - { port: 5432 }
    """

    static func table(_ text: String = example) throws -> NFTable {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return try #require(NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[0], in: .named("lab.node-0")))
    }

    /// Checks that the changes are one valid transaction turning live into desired, and
    /// that nothing is left to do afterwards.
    static func expectConverges(_ live: NFTable?, _ desired: NFTable?, sourceLocation: SourceLocation = #_sourceLocation) throws -> [NFTablesChange] {
        let changes = NFTablesDiff.changes(live: live, desired: desired)
        let result = try NFTablesSimulator.apply(changes, to: live)
        #expect(result == desired, sourceLocation: sourceLocation)
        #expect(NFTablesDiff.changes(live: result, desired: desired).isEmpty, sourceLocation: sourceLocation)
        return changes
    }

    @Test func aNewTableIsCreatedWholeInDependencyOrder() throws {
        let desired = try Self.table()
        let changes = try Self.expectConverges(nil, desired)
        #expect(changes.first == .addTable(desired.id, comment: desired.comment))
        let firstRule = try #require(changes.firstIndex { if case .addRule = $0 { return true }; return false })
        let lastSet = try #require(changes.lastIndex { if case .addSet = $0 { return true }; return false })
        #expect(lastSet < firstRule)
        Self.expectAnonymousSetsBoundEarly(changes)
    }

    /// Each rule carrying an anonymous set comes before every rule without one, and
    /// before it only the chains of such rules so far, and the chains they refer to,
    /// were made: the kernel walks the whole transaction so far to bind each anonymous
    /// set, so a table of 1,000 services must not put 10,000 endpoint chains first.
    static func expectAnonymousSetsBoundEarly(_ changes: [NFTablesChange], sourceLocation: SourceLocation = #_sourceLocation) {
        var allowed: Set<String> = [], made: Set<String> = [], plainRuleSeen = false, anonymousRules = 0
        // Each chain with what its rules refer to, and the chains with an anonymous set.
        var references: [String: Set<String>] = [:], anonymousChains: Set<String> = []
        for case .addRule(_, let chain, let rule) in changes {
            references[chain, default: [chain]].formUnion(rule.referencedChains)
            if rule.hasAnonymousSet { anonymousChains.insert(chain) }
        }
        for change in changes {
            switch change {
            case .addChain(_, let chain):
                made.insert(chain.name)
            case .addRule(_, let chain, _) where anonymousChains.contains(chain):
                anonymousRules += 1
                #expect(!plainRuleSeen, "a rule of a chain without an anonymous set before \(chain)'s", sourceLocation: sourceLocation)
                allowed.formUnion(references[chain]!)
                #expect(made.isSubset(of: allowed), "made before \(chain)'s rules: \(made.subtracting(allowed).sorted())",
                        sourceLocation: sourceLocation)
            case .addRule:
                plainRuleSeen = true
            default:
                break
            }
        }
        #expect(anonymousRules > 0, "no rule with an anonymous set", sourceLocation: sourceLocation)
    }

    /// The same order when services are added to a table that has others.
    @Test func addedServicesBindTheirAnonymousSetsEarly() throws {
        let live = try Self.table()
        let topology = try #require(TopologyLoader.load(text: Self.example, file: "t.yaml").topology)
        var grown = topology
        for index in 0..<20 {
            var service = grown.services[0]
            service.name = "extra-\(index)"
            service.clusterIP = IPv4Address(10, 96, 100, UInt8(index + 1))
            grown.services.append(service)
        }
        let desired = try #require(NFTablesProxyRenderer(topology: grown).table(forNode: grown.nodes[0], in: .named("lab.node-0")))
        Self.expectAnonymousSetsBoundEarly(try Self.expectConverges(live, desired))
    }

    /// Another comment (nftables <-> ipvs mode) remakes the table; a table read back
    /// without one (kernels before 5.13 keep no table userdata) is kept.
    @Test func aChangedCommentRemakesTheTableButAMissingOneDoesNot() throws {
        let desired = try Self.table()
        var stale = desired
        stale.comment = "podnet cluster lab: ipvs hairpin masquerade and rejects"
        let changes = try Self.expectConverges(stale, desired)
        #expect(changes.first == .deleteTable(desired.id))
        var commentless = desired
        commentless.comment = nil
        #expect(NFTablesDiff.changes(live: commentless, desired: desired).isEmpty)
    }

    @Test func equalTablesNeedNothingAndNoDesiredTableDeletesTheLiveOne() throws {
        let table = try Self.table()
        #expect(NFTablesDiff.changes(live: table, desired: table).isEmpty)
        #expect(NFTablesDiff.changes(live: table, desired: nil) == [.deleteTable(table.id)])
        #expect(NFTablesDiff.changes(live: nil, desired: nil).isEmpty)
    }

    @Test func anEndpointMoreTouchesOnlyThatServicesChains() throws {
        let live = try Self.table()
        let desired = try Self.table(Self.example.replacingOccurrences(
            of: "{ name: a1, node: node-0, ip: 10.200.0.3 }", with: "{ name: a1, node: node-0, ip: 10.200.0.3, labels: { app: web } }"))
        let changes = try Self.expectConverges(live, desired)
        for change in changes {
            switch change {
            case .flushChain(_, let chain), .addRule(_, let chain, _):
                #expect(chain.contains("-kube-svc-1/tcp/8080"), "\(change)")
            case .addChain(_, let chain):
                #expect(chain.name.contains("-kube-svc-1/tcp/8080"), "\(change)")
            default:
                Issue.record("unexpected change \(change)")
            }
        }
        // Flush and refill the service chain (2 rules), add one endpoint chain (2 rules).
        #expect(changes.count == 1 + 2 + 1 + 2)
    }

    @Test func aPortChangeSwapsTheMapElementAndTheChains() throws {
        let live = try Self.table()
        let desired = try Self.table(Self.example.replacingOccurrences(of: "- { port: 5432 }", with: "- { port: 5433 }"))
        let changes = try Self.expectConverges(live, desired)
        let described = changes.map(\.description)
        #expect(described.contains("delete 1 element from service-ips"))
        #expect(described.contains("add 1 element to service-ips"))
        #expect(described.filter { $0.hasPrefix("delete chain") }.count == 2)
        #expect(described.filter { $0.hasPrefix("add chain") }.count == 2)
        #expect(changes.allSatisfy { change in
            if case .addRule(_, let chain, _) = change { return chain.contains("db/tcp/5433") }
            return true
        })
        // The service chain is deleted before the endpoint chain it goes to.
        let service = try #require(described.firstIndex { $0.hasPrefix("delete chain service-") })
        let endpoint = try #require(described.firstIndex { $0.hasPrefix("delete chain endpoint-") })
        #expect(service < endpoint)
    }

    @Test func aServiceLosingItsEndpointsMovesToTheNoEndpointMap() throws {
        let live = try Self.table()
        let desired = try Self.table(Self.example.replacingOccurrences(of: "labels: { app: db }", with: "labels: { app: none }"))
        let changes = try Self.expectConverges(live, desired)
        #expect(changes.map(\.description) == [
            "delete 1 element from service-ips",
            "delete chain \(NFTablesProxyNames.serviceChain(service: "db", port: ServicePort(port: 5432)))",
            "delete chain \(NFTablesProxyNames.endpointChain(service: "db", port: ServicePort(port: 5432), endpoint: Pod(name: "c", node: "node-1", ip: IPv4Address(10, 200, 1, 3))))",
            "add 1 element to no-endpoint-services",
        ])
    }

    @Test func aChangedBaseChainIsReplacedAndAChangedSetRefillsItsUsers() throws {
        let desired = try Self.table()
        var live = desired
        live.chains[NFTablesProxyNames.natPrerouting]!.base!.priority = -150
        live.sets[NFTablesProxyNames.clusterIPs]!.flags = [.constant]
        live.chains["stray"] = NFTChain(name: "stray", rules: [NFTRule([.verdict(.accept)])])
        let changes = try Self.expectConverges(live, desired)
        let described = changes.map(\.description)
        #expect(described.contains("delete chain nat-prerouting"))
        #expect(described.contains("add base chain nat-prerouting (nat prerouting)"))
        #expect(described.contains("flush chain cluster-ips-check"))
        #expect(described.contains("delete set cluster-ips"))
        #expect(described.contains("delete chain stray"))
    }

    @Test func changesReadAsNftCommands() throws {
        let table = try Self.table()
        let commands = NFTablesDiff.creation(of: table).flatMap(\.commands)
        #expect(commands.first == "nft 'add table ip podnet-lab { comment \"podnet cluster lab: services and masquerade\" ; }'")
        #expect(commands.contains("nft 'add chain ip podnet-lab nat-prerouting { type nat hook prerouting priority dstnat ; policy accept ; }'"))
        #expect(commands.contains("nft 'add chain ip podnet-lab filter-prerouting-post-dnat { type filter hook prerouting priority dstnat + 10 ; policy accept ; }'"))
        #expect(commands.contains("nft 'add map ip podnet-lab service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment \"ClusterIP, protocol and port to the service port's chain\" ; }'") == false)
        #expect(commands.contains { $0.hasPrefix("nft 'add map ip podnet-lab service-ips { type ipv4_addr . inet_proto . inet_service : verdict ;") })
        #expect(commands.contains("nft add rule ip podnet-lab services ip daddr . meta l4proto . th dport vmap @service-ips"))
        #expect(commands.contains("nft 'add rule ip podnet-lab mark-for-masquerade meta mark set meta mark | 0x00004000'"))
        let chain = NFTablesProxyNames.serviceChain(service: "kube-svc-1", port: ServicePort(port: 8080))
        #expect(commands.contains("nft add element ip podnet-lab service-ips { 10.96.0.2 . tcp . 8080 : goto \(chain), 10.96.0.3 . tcp . 5432 : goto \(NFTablesProxyNames.serviceChain(service: "db", port: ServicePort(port: 5432))) }"))
        #expect(NFTablesChange.deleteElements(table.id, set: "service-ips", table.sets["service-ips"]!.elements).commands
                == ["nft delete element ip podnet-lab service-ips { 10.96.0.2 . tcp . 8080, 10.96.0.3 . tcp . 5432 }"])
        #expect(NFTablesChange.deleteTable(table.id).commands == ["nft delete table ip podnet-lab"])
    }

    @Test func theSimulatorRefusesWhatTheKernelRefuses() throws {
        let table = try Self.table()
        let id = table.id
        #expect(throws: NFTablesSimulator.Refusal.self) {
            try NFTablesSimulator.apply([.deleteChain(id, NFTablesProxyNames.markForMasquerade)], to: table)
        }
        #expect(throws: NFTablesSimulator.Refusal.self) {
            try NFTablesSimulator.apply([.addRule(id, chain: "services", NFTRule([.verdict(.jump("missing"))]))], to: table)
        }
        #expect(throws: NFTablesSimulator.Refusal.self) {
            try NFTablesSimulator.apply([.deleteSet(id, table.sets["service-ips"]!)], to: table)
        }
        #expect(throws: NFTablesSimulator.Refusal.self) {
            try NFTablesSimulator.apply([.addElements(id, set: "service-ips", table.sets["service-ips"]!.elements)], to: table)
        }
    }

    // MARK: Property: any live table, any desired table

    @Test(arguments: 0..<400)
    func anyLiveTableBecomesAnyDesiredTable(seed: Int) throws {
        var random = SeededGenerator(state: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        let live = Self.randomTable(&random)
        let desired = Self.randomTable(&random)
        let changes = NFTablesDiff.changes(live: live, desired: desired)
        let result: NFTable?
        do {
            result = try NFTablesSimulator.apply(changes, to: live)
        } catch {
            Issue.record("seed \(seed): \(error)\n\(changes.map(\.description).joined(separator: "\n"))")
            return
        }
        #expect(result == desired, "seed \(seed)")
        #expect(NFTablesDiff.changes(live: result, desired: desired).isEmpty, "seed \(seed)")
    }

    /// A random consistent table: regular chains c0…c5 jump only to higher-numbered
    /// ones (nf_tables refuses loops), base chains to any; maps go to any regular chain.
    static func randomTable(_ random: inout SeededGenerator) -> NFTable? {
        if Int.random(in: 0..<10, using: &random) == 0 { return nil }
        let id = NFTable.ID(namespace: .named("lab.node-0"), name: "podnet-lab")
        var table = NFTable(id: id, comment: "c")
        let regular = (0..<6).filter { _ in Bool.random(using: &random) }.map { "c\($0)" }
        let sets: [NFTSet] = [
            NFTSet(name: "m0", keyType: [.ipv4Address, .inetProto, .inetService], dataType: .verdict,
                   flags: Bool.random(using: &random) ? [] : [.constant]),
            NFTSet(name: "s0", keyType: Bool.random(using: &random) ? [.ipv4Address] : [.mark]),
        ].filter { _ in Int.random(in: 0..<4, using: &random) != 0 }
        func randomVerdict(after index: Int) -> NFTVerdict? {
            let targets = regular.filter { Int($0.dropFirst())! > index }
            guard let target = targets.randomElement(using: &random) else { return nil }
            return Bool.random(using: &random) ? .jump(target) : .goto(target)
        }
        func randomRule(after index: Int) -> NFTRule {
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                if let verdict = randomVerdict(after: index) {
                    return NFTRule(NFTExpression.ipAddress(.source, equals: IPv4Address(UInt32.random(in: 0..<4, using: &random))) + [.verdict(verdict)])
                }
                return NFTRule([.verdict(.accept)])
            case 1:
                let verdicts = (0..<Int.random(in: 1...3, using: &random)).compactMap { _ in randomVerdict(after: index) }
                return verdicts.isEmpty ? NFTRule([.verdict(.return)]) : NFTRule(NFTExpression.randomChoice(verdicts))
            case 2:
                if let set = sets.randomElement(using: &random) {
                    return set.isMap ? NFTRule(NFTExpression.serviceTuple + [NFTExpression.verdictMap(.named(set.name))])
                        : NFTRule(NFTExpression.ipAddressLoad(.destination) + [NFTExpression.setMembership(set.name), .reject(.portUnreachable)])
                }
                return NFTRule([.verdict(.drop)])
            case 3:
                return NFTRule(NFTExpression.destinationNAT(to: IPv4Address(10, 0, 0, UInt8.random(in: 1...3, using: &random)), port: 80))
            default:
                return NFTRule([.masquerade(flags: 0)], comment: Bool.random(using: &random) ? "x" : nil)
            }
        }
        for name in regular {
            let index = Int(name.dropFirst())!
            table.insert(NFTChain(name: name, rules: (0..<Int.random(in: 0...2, using: &random)).map { _ in randomRule(after: index) }))
        }
        for (name, hook) in [("b0", NFTBaseChain.Hook.prerouting), ("b1", .postrouting)] where Bool.random(using: &random) {
            let base = NFTBaseChain(type: .nat, hook: hook, priority: Bool.random(using: &random) ? -100 : 100)
            table.insert(NFTChain(name: name, base: base, rules: (0..<Int.random(in: 0...2, using: &random)).map { _ in randomRule(after: -1) }))
        }
        for var set in sets {
            if set.isMap, !regular.isEmpty {
                set.elements = (0..<Int.random(in: 0...4, using: &random)).map { n in
                    NFTSetElement(key: [.ipv4(IPv4Address(10, 96, 0, UInt8(n))), .tcp, .inetService(80)],
                                  data: .verdict(.goto(regular.randomElement(using: &random)!)))
                }
            } else if !set.isMap {
                set.elements = (0..<Int.random(in: 0...3, using: &random)).map { n in
                    NFTSetElement(key: [set.keyType == [.mark] ? .mark(UInt32(n)) : .ipv4(IPv4Address(10, 96, 0, UInt8(n)))])
                }
            }
            table.insert(set)
        }
        return table
    }
}
