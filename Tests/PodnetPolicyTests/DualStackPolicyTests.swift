import PodnetAddress
import PodnetPolicy
import PodnetTopology
import Testing

/// A connection is of one family: pods and nodes are taken at their addresses of
/// it, and ipBlocks match their own family's traffic alone (Kubernetes'
/// meaning), so between pods only ipBlock peers tell the families apart.
@Suite struct DualStackPolicyTests {
    static let cluster = """
    name: lab
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a, node: node-0, labels: { app: a } }
      - { name: b, node: node-1, labels: { app: b } }
      - { name: c, node: node-1, labels: { app: c } }
    networkPolicies:
      - name: b-in
        podSelector: { matchLabels: { app: b } }
        ingress:
          - from: [{ podSelector: { matchLabels: { app: a } } }]
          - from: [{ ipBlock: { cidr: "fd00:200:0:1::/64" } }]
            ports: [{ port: 8080 }]
          - from: [{ ipBlock: { cidr: 192.168.64.0/24 } }]
    """

    static func evaluator() throws -> PolicyEvaluator {
        let result = TopologyLoader.load(text: cluster, file: "t.yaml")
        return PolicyEvaluator(topology: try #require(result.topology, "\(result.diagnostics.map(\.message))"))
    }

    @Test func selectorPeersAllowInBothFamilies() throws {
        let evaluator = try Self.evaluator()
        for family in AddressFamily.allCases {
            #expect(evaluator.isAllowed(from: .pod("a"), to: .pod("b"), port: 80, family: family))
            #expect(evaluator.isAllowed(.echo(from: .pod("a"), to: .pod("b"), family: family)))
            #expect(!evaluator.isAllowed(.echo(from: .pod("c"), to: .pod("b"), family: family)))
        }
    }

    @Test func anIPv6BlockAdmitsIPv6TrafficOnly() throws {
        let evaluator = try Self.evaluator()
        // c is fd00:200:0:1::3, in the IPv6 block; 10.200.1.3 in no IPv4 one.
        #expect(evaluator.isAllowed(from: .pod("c"), to: .pod("b"), port: 8080, family: .ipv6))
        #expect(!evaluator.isAllowed(from: .pod("c"), to: .pod("b"), port: 8080, family: .ipv4))
        #expect(!evaluator.isAllowed(from: .pod("c"), to: .pod("b"), port: 80, family: .ipv6))
        #expect(evaluator.isAllowed(from: .address(IPAddress("fd00:200:0:1::99")!), to: .pod("b"), port: 8080))
        #expect(!evaluator.isAllowed(from: .address(IPAddress("fd00:200:0:2::99")!), to: .pod("b"), port: 8080))
        let verdict = evaluator.verdict(from: .pod("c"), to: .pod("b"), port: 8080, family: .ipv6)
        #expect(verdict.ingress.allowingRules.map(\.rule) == [1])
        #expect(verdict.explanation.first == "c → b 8080/TCP over IPv6: allowed")
    }

    /// A remote node's IPv6 traffic comes from its IPv6 underlay address over
    /// host-gw: the IPv4 block of the underlay does not admit it.
    @Test func aNodeIsTakenAtItsAddressOfTheFamily() throws {
        let evaluator = try Self.evaluator()
        #expect(evaluator.isAllowed(from: .node("node-0"), to: .pod("b"), port: 9000, family: .ipv4))
        #expect(!evaluator.isAllowed(from: .node("node-0"), to: .pod("b"), port: 9000, family: .ipv6))
        // node-1's own IPv6 bridge address is node-1 itself: always allowed.
        #expect(evaluator.isAllowed(from: .address(IPAddress("fd00:200:0:1::1")!), to: .pod("b"), port: 9000))
        #expect(evaluator.isAllowed(from: .address(IPAddress("fd00:64::5")!), to: .pod("b"), port: 9000))
    }

    @Test func anEndpointIsReadInEitherFamily() throws {
        let topology = try Self.evaluator().topology
        #expect(PolicyEndpoint("fd00:200::2", in: topology) == .address(IPAddress("fd00:200::2")!))
        #expect(PolicyEndpoint("10.200.0.2", in: topology) == .address(ip("10.200.0.2")))
        #expect(Connection(from: .address(IPAddress("2001:db8::1")!), to: .pod("b"), port: 80).family == .ipv6)
        #expect(Connection(from: .pod("a"), to: .pod("b"), port: 80).family == .ipv4)
    }
}
