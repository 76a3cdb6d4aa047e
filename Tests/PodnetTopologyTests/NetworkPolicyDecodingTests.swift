import Foundation
import PodnetAddress
import PodnetTopology
import Testing

/// Namespaces, named ports and `networkPolicies[]` read into the model with
/// Kubernetes' defaults. Invalid input, with positions, is in the fixture corpus
/// (Fixtures/invalid/netpol-*.yaml and friends).
@Suite struct NetworkPolicyDecodingTests {
    static let header = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    nodes: [{ name: node-0 }]

    """

    @Test func theDefaultNamespaceExistsAndEveryNamespaceCarriesItsNameLabel() throws {
        let topology = try loadValid(Self.header + """
        namespaces:
          - { name: prod, labels: { team: shop } }
        pods:
          - { name: a0, node: node-0 }
          - { name: a1, node: node-0, namespace: prod }
        """)
        #expect(topology.namespaces == [
            Namespace(name: "prod", labels: ["team": "shop"]),
            Namespace(name: "default"),
        ])
        #expect(topology.namespaces[0].labels == ["team": "shop", "kubernetes.io/metadata.name": "prod"])
        #expect(topology.namespaces[1].labels == ["kubernetes.io/metadata.name": "default"])
        #expect(topology.pods.map(\.namespace) == ["default", "prod"])
    }

    @Test func aServiceSelectsPodsOfItsOwnNamespaceOnly() throws {
        let topology = try loadValid(Self.header + """
        namespaces: [{ name: prod }]
        pods:
          - { name: a0, node: node-0, labels: { app: web } }
          - { name: a1, node: node-0, namespace: prod, labels: { app: web } }
        services:
          - { name: web, selector: { app: web }, ports: [{ port: 80 }] }
          - { name: web-prod, namespace: prod, selector: { app: web }, ports: [{ port: 80 }] }
        """)
        #expect(topology.services.map(\.endpoints) == [["a0"], ["a1"]])
        #expect(topology.services.map(\.namespace) == ["default", "prod"])
    }

    @Test func aPolicyOnAPodOfABridgelessNodeWarnsThatNothingEnforcesIt() throws {
        let nodes = "nodes: [{ name: node-0 }, { name: node-1, bridge: none }]"
        let result = TopologyLoader.load(text: Self.header.replacingOccurrences(of: "nodes: [{ name: node-0 }]", with: nodes) + """
        pods:
          - { name: a0, node: node-0 }
          - { name: l0, node: node-1 }
          - { name: l1, node: node-1 }
        links:
          - { pods: [l0, l1] }
        networkPolicies:
          - { name: deny, podSelector: {}, policyTypes: [Ingress] }
        """, file: "t.yaml")
        #expect(result.isValid)
        let warning = try #require(result.warnings.first { $0.message.contains("bridge-less") })
        #expect(warning.message.hasPrefix("network policy 'deny' selects pods l0, l1 of bridge-less node node-1"))
        #expect(warning.line == 12, "the policy's podSelector")
    }

    @Test func namedPortsDefaultToTCP() throws {
        let topology = try loadValid(Self.header + """
        pods:
          - name: a0
            node: node-0
            ports:
              - { name: http, port: 8080 }
              - { name: dns, port: 53, protocol: UDP }
              - { name: sig, port: 9000, protocol: SCTP }
        """)
        #expect(topology.pods[0].ports == [
            PodPort(name: "http", port: 8080, protocol: .tcp),
            PodPort(name: "dns", port: 53, protocol: .udp),
            PodPort(name: "sig", port: 9000, protocol: .sctp),
        ])
    }

    /// `SetDefaults_NetworkPolicy`: Ingress always, Egress when there are egress rules.
    @Test func policyTypesFollowKubernetesDefaults() throws {
        let topology = try loadValid(Self.header + """
        pods: [{ name: a0, node: node-0 }]
        networkPolicies:
          - { name: only-ingress, podSelector: {} }
          - { name: with-egress, podSelector: {}, egress: [{ ports: [{ port: 53, protocol: UDP }] }] }
          - { name: egress-only, podSelector: {}, policyTypes: [Egress] }
          - { name: empty-types, podSelector: {}, policyTypes: [] }
        """)
        #expect(topology.networkPolicies.map(\.policyTypes) == [[.ingress], [.ingress, .egress], [.egress], [.ingress]])
    }

    /// Kubernetes' own example of a NetworkPolicy (concepts/services-networking/network-policies).
    @Test func theKubernetesDocumentationExampleDecodes() throws {
        let topology = try loadValid(Self.header + """
        namespaces: [{ name: myproject, labels: { project: myproject } }]
        pods: [{ name: db, node: node-0, labels: { role: db } }]
        networkPolicies:
          - name: test-network-policy
            namespace: default
            podSelector:
              matchLabels:
                role: db
            policyTypes:
              - Ingress
              - Egress
            ingress:
              - from:
                  - ipBlock:
                      cidr: 172.17.0.0/16
                      except:
                        - 172.17.1.0/24
                  - namespaceSelector:
                      matchLabels:
                        project: myproject
                  - podSelector:
                      matchLabels:
                        role: frontend
                ports:
                  - protocol: TCP
                    port: 6379
            egress:
              - to:
                  - ipBlock:
                      cidr: 10.0.0.0/24
                ports:
                  - protocol: TCP
                    port: 5978
        """)
        #expect(topology.networkPolicies == [NetworkPolicy(
            name: "test-network-policy", namespace: "default",
            podSelector: LabelSelector(matchLabels: ["role": "db"]), policyTypes: [.ingress, .egress],
            ingress: [NetworkPolicyRule(
                peers: [
                    .addresses(IPBlock(cidr: prefix("172.17.0.0/16"), except: [prefix("172.17.1.0/24")])),
                    .namespaces(LabelSelector(matchLabels: ["project": "myproject"])),
                    .pods(LabelSelector(matchLabels: ["role": "frontend"])),
                ],
                ports: [NetworkPolicyPort(protocol: .tcp, port: .number(6379))])],
            egress: [NetworkPolicyRule(peers: [.addresses(IPBlock(cidr: prefix("10.0.0.0/24")))],
                                       ports: [NetworkPolicyPort(protocol: .tcp, port: .number(5978))])])])
    }

    @Test func selectorsPortsAndRangesDecode() throws {
        let topology = try loadValid(Self.header + """
        namespaces: [{ name: prod }]
        pods: [{ name: a0, node: node-0, ports: [{ name: http, port: 8080 }] }]
        networkPolicies:
          - name: mixed
            namespace: prod
            podSelector:
              matchLabels: { app: web }
              matchExpressions:
                - { key: tier, operator: In, values: [a, b] }
                - { key: legacy, operator: DoesNotExist }
            ingress:
              - from:
                  - namespaceSelector: { matchLabels: { team: ops } }
                    podSelector: { matchExpressions: [{ key: role, operator: NotIn, values: [db] }] }
                ports:
                  - { port: http }
                  - { protocol: UDP, port: 32000, endPort: 32768 }
                  - { protocol: SCTP }
        """)
        let policy = try #require(topology.networkPolicies.first)
        #expect(policy.qualifiedName == "prod/mixed")
        #expect(policy.podSelector == LabelSelector(matchLabels: ["app": "web"], matchExpressions: [
            LabelSelectorRequirement(key: "tier", operator: .in, values: ["a", "b"]),
            LabelSelectorRequirement(key: "legacy", operator: .doesNotExist),
        ]))
        #expect(policy.podSelector.description == "app=web,tier in (a,b),!legacy")
        #expect(policy.ingress[0].peers == [NetworkPolicyPeer(
            podSelector: LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "role", operator: .notIn, values: ["db"])]),
            namespaceSelector: LabelSelector(matchLabels: ["team": "ops"]))])
        #expect(policy.ingress[0].ports == [
            NetworkPolicyPort(protocol: .tcp, port: .name("http")),
            NetworkPolicyPort(protocol: .udp, port: .number(32000), endPort: 32768),
            NetworkPolicyPort(protocol: .sctp),
        ])
        #expect(policy.ingress[0].ports.map(\.description) == ["'http'/TCP", "32000-32768/UDP", "every SCTP port"])
    }

    /// An ipBlock of either family: IPv6's cidr and except read as IPv6 prefixes,
    /// and a block knows its family.
    @Test func anIPv6IPBlockDecodes() throws {
        let topology = try loadValid(Self.header + """
        pods: [{ name: a0, node: node-0 }]
        networkPolicies:
          - name: office
            podSelector: {}
            ingress:
              - from:
                  - ipBlock: { cidr: "2001:db8::/32", except: ["2001:db8:5::/48"] }
                  - ipBlock: { cidr: 192.168.0.0/16 }
        """)
        let peers = topology.networkPolicies[0].ingress[0].peers
        let block = try #require(peers[0].ipBlock)
        #expect(block == IPBlock(cidr: IPPrefix("2001:db8::/32")!, except: [IPPrefix("2001:db8:5::/48")!]))
        #expect(block.family == .ipv6)
        #expect(peers[1].ipBlock?.family == .ipv4)
        #expect(block.contains(IPAddress("2001:db8:4::1")!))
        #expect(!block.contains(IPAddress("2001:db8:5::1")!))
        #expect(!block.contains(IPAddress("192.168.0.1")!))
        #expect(peers[0].description == "ipBlock 2001:db8::/32 except 2001:db8:5::/48")
    }

    /// Kubernetes reads a missing and an empty `from` alike: every source.
    @Test func aMissingAndAnEmptyPeerListMeanTheSame() throws {
        let result = TopologyLoader.load(text: Self.header + """
        pods: [{ name: a0, node: node-0 }]
        networkPolicies:
          - { name: missing, podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }
          - { name: empty, podSelector: {}, ingress: [{ from: [], ports: [{ port: 80 }] }] }
        """, file: "test.yaml")
        let policies = try #require(result.topology?.networkPolicies)
        #expect(policies[0].ingress == policies[1].ingress)
        #expect(result.warnings.map(\.line) == [8])
    }

    @Test func policiesSurviveTheJSONRoundTrip() throws {
        let topology = try loadValid(Self.header + """
        namespaces: [{ name: prod }]
        pods: [{ name: a0, node: node-0, namespace: prod, ports: [{ name: http, port: 80 }] }]
        networkPolicies:
          - name: web
            namespace: prod
            podSelector: { matchLabels: { app: web } }
            ingress: [{ from: [{ ipBlock: { cidr: 10.0.0.0/8, except: [10.1.0.0/16] } }], ports: [{ port: http }, { port: 81 }] }]
        """)
        let json = try JSONEncoder().encode(topology)
        #expect(try JSONDecoder().decode(Topology.self, from: json) == topology)
    }
}
