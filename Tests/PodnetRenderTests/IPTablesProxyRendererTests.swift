import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// kube-proxy's iptables layout, as seed 003 §5 writes it by hand.
@Suite struct IPTablesProxyRendererTests {
    static let text = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    proxy: { mode: iptables }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: a1, node: node-0, labels: { app: web } }
      - { name: b, node: node-1, labels: { app: web } }
    services:
      - { name: web, clusterIP: 10.96.0.2, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
      - { name: none, clusterIP: 10.96.0.3, selector: { app: nothing }, ports: [{ port: 81, protocol: UDP }] }
    """

    func ruleset() throws -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        let topology = try #require(TopologyLoader.load(text: Self.text, file: "t.yaml").topology)
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0], in: .named("lab.node-0"))
    }

    @Test func theServicePortJumpsToACascadeOfOneInN() throws {
        let (chains, _) = try ruleset()
        let services = try #require(chains.first { $0.id.table == "nat" && $0.id.name == "KUBE-SERVICES" })
        #expect(services.rules.count == 1)
        let rule = try #require(services.rules.first)
        #expect(rule.hasPrefix("-d 10.96.0.2/32 -p tcp -m comment --comment \"web:80 cluster IP\" -m tcp --dport 80 -j KUBE-SVC-"))
        let svcName = String(rule.split(separator: " ").last!)
        let svc = try #require(chains.first { $0.id.name == svcName })
        #expect(svc.rules.count == 3)
        #expect(svc.rules[0].contains("--probability 0.33333333349 -j KUBE-SEP-"))
        #expect(svc.rules[1].contains("--probability 0.50000000000 -j KUBE-SEP-"))
        #expect(!svc.rules[2].contains("statistic"))
        let sep = try #require(chains.first { $0.id.name == String(svc.rules[0].split(separator: " ").last!) })
        #expect(sep.rules == [
            "-s 10.200.0.2/32 -m comment --comment \"web:80 hairpin\" -j KUBE-MARK-MASQ",
            "-p tcp -m comment --comment \"web:80 endpoint\" -m tcp -j DNAT --to-destination 10.200.0.2:8080",
        ])
    }

    @Test func aPortWithoutEndpointsIsRejectedInFilter() throws {
        let (chains, rules) = try ruleset()
        let filter = try #require(chains.first { $0.id.table == "filter" && $0.id.name == "KUBE-SERVICES" })
        #expect(filter.rules == ["-d 10.96.0.3/32 -p udp -m comment --comment \"none:81 cluster IP\" -m udp --dport 81 -j REJECT --reject-with icmp-port-unreachable"])
        #expect(rules.filter { $0.table == "filter" }.map(\.chain).sorted() == ["FORWARD", "OUTPUT"])
        #expect(rules.allSatisfy { $0.spec.contains("podnet:lab ") })
    }

    @Test func masqueradeAndTheBuiltInJumps() throws {
        let (chains, rules) = try ruleset()
        let egress = try #require(chains.first { $0.id.name == "PODNET-EGRESS" })
        #expect(egress.rules == ["-s 10.200.0.0/16 ! -d 10.200.0.0/16 -m comment --comment \"pod traffic leaving the cluster\" -j MASQUERADE --random-fully"])
        #expect(rules.filter { $0.table == "nat" }.map(\.chain).sorted() == ["OUTPUT", "POSTROUTING", "POSTROUTING", "PREROUTING"])
    }

    @Test func chainNamesAreKubeProxyShapedAndStable() {
        let name = IPTablesProxyRenderer.chainName("KUBE-SVC-", "lab/web:80/tcp")
        #expect(name == IPTablesProxyRenderer.chainName("KUBE-SVC-", "lab/web:80/tcp"))
        #expect(name.count == "KUBE-SVC-".count + 16)
        #expect(name.count <= 28, "iptables chain names hold 28 characters")
        #expect(name != IPTablesProxyRenderer.chainName("KUBE-SVC-", "lab/web:81/tcp"))
        #expect(IPTablesProxyRenderer.probability(1, 4) == "0.25000000000")
        // As the kernel keeps it (a fraction of 2^31) and iptables-save prints it back.
        #expect(IPTablesProxyRenderer.probability(1, 3) == "0.33333333349")
        #expect(IPTablesProxyRenderer.probability(1, 7) == "0.14285714272")
    }

    @Test func otherModesHaveNoIPTablesRules() throws {
        let text = Self.text.replacingOccurrences(of: "proxy: { mode: iptables }", with: "proxy: { mode: nftables }")
        let topology = try #require(TopologyLoader.load(text: text, file: "t.yaml").topology)
        #expect(IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0], in: .current).chains.isEmpty)
    }
}
