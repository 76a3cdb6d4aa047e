import PodnetPolicy
import PodnetTopology
import Testing

/// The policies of Kubernetes' documentation (concepts/services-networking/
/// network-policies: "Default policies", the `and`/`or` of selectors, `endPort`,
/// "Targeting a Namespace by its name"), applied to the standard cluster.
@Suite struct KubernetesDocumentationCases {
    static let cases: [TruthTableCase] = [
        TruthTableCase(name: "no policy: every pod reaches every pod", source: "docs: isolated and non-isolated pods",
                       policies: "", expected: [Reachability(80, allAllowed), Reachability(81, .udp, allAllowed)]),

        TruthTableCase(name: "default deny all ingress in x", source: "docs: default-deny-ingress", policies: """
              - name: default-deny-ingress
                namespace: x
                podSelector: {}
                policyTypes: [Ingress]
            """, expected: [Reachability(80, xIngressDenied), Reachability(81, .udp, xIngressDenied)]),

        TruthTableCase(name: "allow all ingress in x", source: "docs: allow-all-ingress", policies: """
              - name: allow-all-ingress
                namespace: x
                podSelector: {}
                ingress: [{}]
                policyTypes: [Ingress]
            """, expected: [Reachability(80, allAllowed)]),

        TruthTableCase(name: "default deny all egress in x", source: "docs: default-deny-egress", policies: """
              - name: default-deny-egress
                namespace: x
                podSelector: {}
                policyTypes: [Egress]
            """, expected: [Reachability(80, xEgressDenied), Reachability(80, .udp, xEgressDenied)]),

        TruthTableCase(name: "allow all egress in x", source: "docs: allow-all-egress", policies: """
              - name: allow-all-egress
                namespace: x
                podSelector: {}
                egress: [{}]
                policyTypes: [Egress]
            """, expected: [Reachability(81, allAllowed)]),

        TruthTableCase(name: "default deny all ingress and egress in x", source: "docs: default-deny-all", policies: """
              - name: default-deny-all
                namespace: x
                podSelector: {}
                policyTypes: [Ingress, Egress]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ·  ·  ·  ·  ·  ·
            xb  ·  ✓  ·  ·  ·  ·  ·  ·  ·
            xc  ·  ·  ✓  ·  ·  ·  ·  ·  ·
            ya  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        // "contains a single from element allowing connections from Pods with the
        // label role=client in namespaces with the label user=alice": here pod=a in ns=y.
        TruthTableCase(name: "namespaceSelector and podSelector in one peer: both must hold", source: "docs: behavior of to and from selectors (and)", policies: """
              - name: and
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from:
                      - namespaceSelector: { matchLabels: { ns: y } }
                        podSelector: { matchLabels: { pod: a } }
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        // "contains two elements in the from array ... allows connections from Pods
        // in the local Namespace with the label role=client, or from any Pod in any
        // namespace with the label user=alice".
        TruthTableCase(name: "namespaceSelector and podSelector as two peers: either suffices", source: "docs: behavior of to and from selectors (or)", policies: """
              - name: or
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from:
                      - namespaceSelector: { matchLabels: { ns: y } }
                      - podSelector: { matchLabels: { pod: b } }
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        // The documentation's multi-port-egress: TCP 32000-32768 to 10.0.0.0/24; here
        // 80-81 to the b pods' node (10.200.1.0/24).
        TruthTableCase(name: "endPort: a range of ports to an ipBlock", source: "docs: targeting a range of ports", policies: """
              - name: multi-port-egress
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress:
                  - to: [{ ipBlock: { cidr: 10.200.1.0/24 } }]
                    ports: [{ protocol: TCP, port: 80, endPort: 81 }]
            """, expected: [
                Reachability(80, xaToBPodsOnly), Reachability(81, xaToBPodsOnly), Reachability(80, .udp, xaEgressDenied),
            ]),

        TruthTableCase(name: "a namespace selected by its name label", source: "docs: targeting a namespace by its name", policies: """
              - name: from-z
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: z } } }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),
    ]

    /// xa may send only to the b pods (10.200.1.0/24); everyone else is unrestricted.
    static let xaToBPodsOnly = """
        xa xb xc ya yb yc za zb zc
    xa  ✓  ✓  ·  ·  ✓  ·  ·  ✓  ·
    xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    """

    @Test(arguments: cases)
    func truthTable(_ testCase: TruthTableCase) throws { try check(testCase) }

    /// The documentation's test-network-policy, on its own small cluster: role=db pods
    /// in default take TCP 6379 from 172.17.0.0/16 but 172.17.1.0/24, from
    /// namespaces labelled project=myproject, and from role=frontend pods of default;
    /// they may send TCP 5978 to 10.0.0.0/24 only.
    @Test func theDocumentationsExamplePolicy() throws {
        let topology = try #require(TopologyLoader.load(text: """
        name: docs
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }, { name: node-1 }]
        namespaces: [{ name: myproject, labels: { project: myproject } }, { name: other }]
        pods:
          - { name: db, node: node-0, labels: { role: db } }
          - { name: frontend, node: node-1, labels: { role: frontend } }
          - { name: backend, node: node-1, labels: { role: backend } }
          - { name: tool, node: node-1, namespace: myproject }
          - { name: stranger, node: node-1, namespace: other, labels: { role: frontend } }
        networkPolicies:
          - name: test-network-policy
            namespace: default
            podSelector: { matchLabels: { role: db } }
            policyTypes: [Ingress, Egress]
            ingress:
              - from:
                  - ipBlock: { cidr: 172.17.0.0/16, except: [172.17.1.0/24] }
                  - namespaceSelector: { matchLabels: { project: myproject } }
                  - podSelector: { matchLabels: { role: frontend } }
                ports: [{ protocol: TCP, port: 6379 }]
            egress:
              - to: [{ ipBlock: { cidr: 10.0.0.0/24 } }]
                ports: [{ protocol: TCP, port: 5978 }]
        """, file: "docs.yaml").topology)
        let evaluator = PolicyEvaluator(topology: topology)
        let cases: [(PolicyEndpoint, PolicyEndpoint, Int, PortProtocol, Bool)] = [
            (.pod("frontend"), .pod("db"), 6379, .tcp, true),
            (.pod("frontend"), .pod("db"), 6379, .udp, false),
            (.pod("frontend"), .pod("db"), 6380, .tcp, false),
            (.pod("backend"), .pod("db"), 6379, .tcp, false),
            (.pod("tool"), .pod("db"), 6379, .tcp, true),
            (.pod("stranger"), .pod("db"), 6379, .tcp, false),  // role=frontend, but not of default
            (.address(ip("172.17.0.9")), .pod("db"), 6379, .tcp, true),
            (.address(ip("172.17.1.9")), .pod("db"), 6379, .tcp, false),  // in the except
            (.address(ip("172.18.0.9")), .pod("db"), 6379, .tcp, false),
            (.pod("db"), .address(ip("10.0.0.7")), 5978, .tcp, true),
            (.pod("db"), .address(ip("10.0.0.7")), 5979, .tcp, false),
            (.pod("db"), .address(ip("10.0.1.7")), 5978, .tcp, false),
            (.pod("db"), .pod("frontend"), 80, .tcp, false),
            (.pod("frontend"), .pod("backend"), 80, .tcp, true),  // neither is isolated
            (.node("node-0"), .pod("db"), 80, .tcp, true),  // its own node
            (.node("node-1"), .pod("db"), 6379, .tcp, false),
        ]
        for (source, destination, port, proto, allowed) in cases {
            let verdict = evaluator.verdict(from: source, to: destination, port: port, protocol: proto)
            #expect(verdict.isAllowed == allowed, "\(verdict.explanation.joined(separator: " | "))")
        }
    }
}
