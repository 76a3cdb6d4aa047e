import Foundation
import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// The NetworkPolicy table of a node: its dispatch, a chain per isolated pod, a chain
/// per policy and direction, and the peers as shared sets.
@Suite struct NetworkPolicyRendererTests {
    typealias Names = NetworkPolicyNames

    static let base = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    nodes:
      - { name: node-0, podCIDR: 10.200.0.0/24 }
      - { name: node-1, podCIDR: 10.200.1.0/24 }
    namespaces:
      - { name: prod, labels: { team: shop } }
      - { name: dev }
    pods:
      - { name: db, node: node-0, namespace: prod, ip: 10.200.0.2, labels: { app: db }, ports: [{ name: sql, port: 5432 }] }
      - { name: web, node: node-1, namespace: prod, ip: 10.200.1.2, labels: { app: web } }
      - { name: tool, node: node-1, namespace: dev, ip: 10.200.1.3, labels: { app: web } }
    """

    static func topology(_ policies: String, pods: String? = nil) throws -> Topology {
        var text = base
        if let pods { text = text.replacingOccurrences(of: "  - { name: tool, node: node-1, namespace: dev, ip: 10.200.1.3, labels: { app: web } }", with: pods) }
        let result = TopologyLoader.load(text: text + "\nnetworkPolicies:\n" + policies, file: "t.yaml")
        return try #require(result.topology, "\(result.diagnostics.map(\.message))")
    }

    static func table(_ policies: String, node: String = "node-0") throws -> NFTable {
        let topology = try topology(policies)
        let node = try #require(topology.node(named: node))
        return try #require(NetworkPolicyRenderer(topology: topology).table(forNode: node, in: .named("lab.\(node.name)")))
    }

    static func texts(_ table: NFTable, _ chain: String) throws -> [String] {
        try #require(table.chains[chain], "no chain \(chain)").rules.map { NFTSyntax.text(of: $0) ?? "(not expressible)" }
    }

    static let dbClients = """
      - name: db-clients
        namespace: prod
        podSelector: { matchLabels: { app: db } }
        ingress:
          - from: [{ podSelector: { matchLabels: { app: web } } }]
            ports: [{ port: sql }]
    """

    @Test func noPoliciesNoTable() throws {
        let result = TopologyLoader.load(text: Self.base, file: "t.yaml")
        let topology = try #require(result.topology)
        #expect(NetworkPolicyRenderer(topology: topology).table(forNode: topology.nodes[0], in: .named("lab.node-0")) == nil)
        #expect(!LabRenderer(topology: topology).render().nftTables.keys.contains { $0.family == .inet })
    }

    @Test func aTableOfFamilyInetNamedAsTheProxysAndOwnedByTheCluster() throws {
        let table = try Self.table(Self.dbClients)
        #expect(table.id == NFTable.ID(namespace: .named("lab.node-0"), family: .inet, name: "podnet-lab"))
        #expect(NFTable.cluster(ownerOf: table.id.name) == "lab")
    }

    @Test func theDispatchFiltersNewConnectionsAfterDNATInForwardAndOutput() throws {
        let table = try Self.table(Self.dbClients)
        #expect(table.chains[Names.forward]?.base == NFTBaseChain(type: .filter, hook: .forward, priority: 0))
        #expect(table.chains[Names.output]?.base == NFTBaseChain(type: .filter, hook: .output, priority: 0))
        #expect(try Self.texts(table, Names.forward) == ["ct state established,related accept", "goto pod-policies"])
        #expect(try Self.texts(table, Names.output) == [
            "ct state established,related accept", "fib saddr type local accept comment \"the node's own traffic\"", "goto pod-policies",
        ])
        #expect(try Self.texts(table, Names.podPolicies) == ["meta nfproto ipv4 ip saddr vmap @egress-pods", "goto ingress"])
        #expect(try Self.texts(table, Names.ingress) == ["meta nfproto ipv4 ip daddr vmap @ingress-pods", "accept"])
    }

    @Test func anIsolatedPodHasAChainJumpingToItsPoliciesAndAnElement() throws {
        let table = try Self.table(Self.dbClients)
        #expect(try Self.texts(table, "to-db") == [
            "meta nfproto ipv4 ip saddr 10.200.0.2 accept comment \"the pod itself\"",
            "jump ingress-prod/db-clients",
            "drop",
        ])
        #expect(table.sets[Names.ingressPods]?.elements == [NFTSetElement(key: [.ipv4(IPv4Address(10, 200, 0, 2))], data: .verdict(.jump("to-db")))])
        #expect(table.sets[Names.egressPods]?.elements == [])
        // The peer is a set of every matching pod, wherever it runs; a named port the
        // destination pod's address, protocol and port.
        let peers = try #require(table.sets.values.first { $0.comment == "prod: app=web" })
        #expect(peers.elements == [NFTSetElement(key: [.ipv4(IPv4Address(10, 200, 1, 2))])])
        #expect(table.sets["port-sql"]?.elements == [NFTSetElement(key: [.ipv4(IPv4Address(10, 200, 0, 2)), .tcp, .inetService(5432)])])
        #expect(try Self.texts(table, "ingress-prod/db-clients") == [
            "meta nfproto ipv4 ip saddr @\(peers.name) meta l4proto tcp ip daddr . meta l4proto . th dport @port-sql accept comment \"prod/db-clients ingress[0]\"",
        ])
    }

    @Test func aNodeWithoutIsolatedPodsHasTheDispatchOnly() throws {
        let table = try Self.table(Self.dbClients, node: "node-1")
        #expect(Set(table.chains.keys) == [Names.forward, Names.output, Names.podPolicies, Names.ingress])
        #expect(Set(table.sets.keys) == [Names.egressPods, Names.ingressPods])
    }

    @Test func egressRulesGoOnToIngressAndIPBlocksExceptBecomeNegations() throws {
        let table = try Self.table("""
          - name: out
            namespace: prod
            podSelector: {}
            policyTypes: [Egress]
            egress:
              - to: [{ ipBlock: { cidr: 192.168.0.0/16, except: [192.168.5.0/24, 192.168.6.0/25] } }]
                ports: [{ protocol: UDP, port: 53 }, { port: 8000, endPort: 8080 }]
        """)
        #expect(try Self.texts(table, "from-db") == [
            "meta nfproto ipv4 ip daddr 10.200.0.2 goto ingress comment \"the pod itself\"", "jump egress-prod/out", "drop",
        ])
        #expect(try Self.texts(table, "egress-prod/out") == [
            "meta nfproto ipv4 ip daddr 192.168.0.0/16 ip daddr != 192.168.5.0/24 ip daddr != 192.168.6.0/25 meta l4proto udp th dport 53 goto ingress comment \"prod/out egress[0]\"",
            "meta nfproto ipv4 ip daddr 192.168.0.0/16 ip daddr != 192.168.5.0/24 ip daddr != 192.168.6.0/25 meta l4proto tcp th dport >= 8000 th dport <= 8080 goto ingress comment \"prod/out egress[0]\"",
        ])
        #expect(table.chains["to-db"] == nil)
    }

    @Test func anEmptyRuleAllowsEverythingAndNoRulesAllowNothing() throws {
        let table = try Self.table("""
          - { name: deny, namespace: prod, podSelector: {}, policyTypes: [Ingress] }
          - name: all
            namespace: prod
            podSelector: { matchLabels: { app: db } }
            ingress: [{}]
        """)
        #expect(try Self.texts(table, "ingress-prod/deny") == [])
        #expect(try Self.texts(table, "ingress-prod/all") == ["meta nfproto ipv4 accept comment \"prod/all ingress[0]\""])
        // Policies add up, in file order.
        #expect(try Self.texts(table, "to-db").dropFirst().dropLast() == ["jump ingress-prod/deny", "jump ingress-prod/all"])
    }

    @Test func policiesPickingTheSamePodsShareOneSet() throws {
        let table = try Self.table("""
          - name: a
            namespace: prod
            podSelector: { matchLabels: { app: db } }
            ingress: [{ from: [{ podSelector: { matchLabels: { app: web } } }] }]
          - name: b
            namespace: prod
            podSelector: { matchLabels: { app: db } }
            ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: app, operator: In, values: [web] }] } }, { podSelector: { matchLabels: { app: web } } }] }]
          - name: c
            namespace: prod
            podSelector: { matchLabels: { app: db } }
            ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: web } } }] }]
        """)
        let selectionSets = table.sets.values.filter { $0.name.hasPrefix("pods-") }
        // `app=web` in prod (a and b's second peer), `app in (web)` in prod, and
        // `app=web` in every namespace (c: tool of dev too).
        #expect(selectionSets.count == 3)
        let everywhere = try #require(selectionSets.first { $0.comment == "namespaces {}: app=web" })
        #expect(everywhere.elements.count == 2)
    }

    @Test func bridgedTrafficCrossesTheIPHooksWhenPoliciesExist() throws {
        let state = LabRenderer(topology: try Self.topology(Self.dbClients)).render()
        #expect(state.sysctls[Sysctl.ID(namespace: .named("lab.node-0"), key: "net.bridge.bridge-nf-call-iptables")]?.value == "1")
        #expect(state.nftTables.keys.filter { $0.family == .inet }.count == 2)
    }

    @Test func everyRuleIsExpressibleInNftsLanguage() throws {
        for example in ["netpol-deny-all", "netpol-allow-from-namespace", "netpol-egress-ipblock"] {
            let url = ClusterGraphExampleTests.topologies.appendingPathComponent("\(example).yaml")
            let result = TopologyLoader.load(text: try String(contentsOf: url, encoding: .utf8), file: url.path)
            let topology = try #require(result.topology, "\(example): \(result.diagnostics.map(\.message))")
            let state = LabRenderer(topology: topology).render()
            for table in state.nftTables.values where table.id.family == .inet {
                for chain in table.chains.values {
                    for rule in chain.rules { #expect(NFTSyntax.text(of: rule) != nil, "\(example) \(chain.name): \(rule)") }
                }
            }
        }
    }
}
