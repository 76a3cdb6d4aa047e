import PodnetPolicy
import PodnetTopology
import Testing

/// What the truth tables do not show: nodes, addresses outside the pods, named
/// ports that differ between pods, the explanation, and the selections the data
/// plane builds its sets from.
@Suite struct PolicyEvaluatorTests {
    static let denyAllInX = """
          - name: deny-all
            namespace: x
            podSelector: {}
            policyTypes: [Ingress, Egress]
        """

    @Test func aPodAndItsOwnNodeAlwaysReachEachOther() throws {
        let evaluator = PolicyEvaluator(topology: try StandardCluster.topology(policies: Self.denyAllInX))
        // xa is on node-0, xb on node-1 (VXLAN static: node-0 sends to xb from 10.200.0.0, its vxlan0 address).
        #expect(evaluator.isAllowed(from: .node("node-0"), to: .pod("xa"), port: 80))
        #expect(evaluator.isAllowed(from: .address(ip("10.200.0.1")), to: .pod("xa"), port: 80))  // node-0's bridge
        #expect(evaluator.isAllowed(from: .pod("xa"), to: .node("node-0"), port: 10250))
        #expect(evaluator.isAllowed(from: .pod("xa"), to: .address(ip("192.168.64.4")), port: 22))  // node-0's underlay address
        #expect(!evaluator.isAllowed(from: .node("node-0"), to: .pod("xb"), port: 80))
        #expect(!evaluator.isAllowed(from: .pod("xa"), to: .node("node-1"), port: 10250))
        let verdict = evaluator.verdict(from: .node("node-0"), to: .pod("xa"), port: 80)
        #expect(verdict.ingress.outcome == .unrestricted(.ownNode))
        #expect(verdict.egress.outcome == .unrestricted(.notAPod))
    }

    /// An ipBlock naming the node's source address admits a remote node.
    @Test func aRemoteNodeIsMatchedByTheAddressItSendsFrom() throws {
        let evaluator = PolicyEvaluator(topology: try StandardCluster.topology(policies: """
              - name: from-node-0-vxlan
                namespace: x
                podSelector: { matchLabels: { pod: b } }
                ingress: [{ from: [{ ipBlock: { cidr: 10.200.0.0/32 } }] }]
            """))
        #expect(evaluator.isAllowed(from: .node("node-0"), to: .pod("xb"), port: 80))
        #expect(!evaluator.isAllowed(from: .node("node-2"), to: .pod("xb"), port: 80))
    }

    @Test func addressesOutsideThePodsAreMatchedByIPBlocksOnly() throws {
        let evaluator = PolicyEvaluator(topology: try StandardCluster.topology(policies: """
              - name: from-office
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Ingress, Egress]
                ingress: [{ from: [{ ipBlock: { cidr: 192.0.2.0/24, except: [192.0.2.128/25] } }, { namespaceSelector: {} }] }]
                egress: [{ to: [{ ipBlock: { cidr: 198.51.100.0/24 } }], ports: [{ port: 443 }] }]
            """))
        #expect(evaluator.isAllowed(from: .address(ip("192.0.2.7")), to: .pod("xa"), port: 80))
        #expect(!evaluator.isAllowed(from: .address(ip("192.0.2.200")), to: .pod("xa"), port: 80))
        #expect(!evaluator.isAllowed(from: .address(ip("203.0.113.1")), to: .pod("xa"), port: 80))
        #expect(evaluator.isAllowed(from: .pod("xa"), to: .address(ip("198.51.100.9")), port: 443))
        #expect(!evaluator.isAllowed(from: .pod("xa"), to: .address(ip("198.51.100.9")), port: 80))
        #expect(!evaluator.isAllowed(from: .pod("xa"), to: .address(ip("198.51.100.9")), port: 443, protocol: .udp))
        // An address that is a pod's is that pod: xb is selected by namespaceSelector {}.
        #expect(evaluator.verdict(from: .address(ip("10.200.1.10")), to: .pod("xa"), port: 80).ingress.allowingRules.map(\.peer) == [1])
        // Neither end a pod: nothing applies.
        #expect(evaluator.verdict(from: .address(ip("203.0.113.1")), to: .address(ip("203.0.113.2")), port: 80).isAllowed)
    }

    /// A named port means, on each destination pod, the port that pod gives the name.
    @Test func aNamedPortIsResolvedOnEachDestinationPod() throws {
        let topology = try #require(TopologyLoader.load(text: """
        name: named
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }]
        pods:
          - { name: client, node: node-0 }
          - { name: old, node: node-0, labels: { app: web }, ports: [{ name: web, port: 80 }] }
          - { name: new, node: node-0, labels: { app: web }, ports: [{ name: web, port: 8080 }, { name: dns, port: 53, protocol: UDP }] }
          - { name: plain, node: node-0, labels: { app: web } }
        networkPolicies:
          - name: web-by-name
            podSelector: { matchLabels: { app: web } }
            ingress: [{ ports: [{ port: web }] }]
          - name: client-out-by-name
            podSelector: { matchLabels: {} }
            policyTypes: [Egress]
            egress: [{ ports: [{ port: web }, { port: dns, protocol: UDP }] }]
        """, file: "named.yaml").topology)
        let evaluator = PolicyEvaluator(topology: topology)
        #expect(evaluator.isAllowed(from: .pod("client"), to: .pod("old"), port: 80))
        #expect(!evaluator.isAllowed(from: .pod("client"), to: .pod("old"), port: 8080))
        #expect(evaluator.isAllowed(from: .pod("client"), to: .pod("new"), port: 8080))
        #expect(!evaluator.isAllowed(from: .pod("client"), to: .pod("new"), port: 80))
        #expect(!evaluator.isAllowed(from: .pod("client"), to: .pod("new"), port: 8080, protocol: .udp))
        #expect(!evaluator.isAllowed(from: .pod("client"), to: .pod("plain"), port: 80))  // no port of that name
        // Egress: the destination's name too; the client has no port named dns, new does.
        let dns = evaluator.verdict(from: .pod("client"), to: .pod("new"), port: 53, protocol: .udp)
        #expect(dns.egress.isAllowed && !dns.ingress.isAllowed)
        // To an address no pod holds, a named port matches nothing.
        #expect(!evaluator.isAllowed(from: .pod("client"), to: .address(ip("198.51.100.1")), port: 80))
    }

    @Test func theExplanationNamesTheDecidingPoliciesAndRules() throws {
        let evaluator = PolicyEvaluator(topology: try StandardCluster.topology(policies: """
              - name: deny-all
                namespace: x
                podSelector: {}
                policyTypes: [Ingress]
              - name: allow-y-81
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ podSelector: { matchLabels: { pod: b } } }, { namespaceSelector: { matchLabels: { ns: y } } }]
                    ports: [{ port: 80, protocol: UDP }, { port: 81 }]
            """))
        #expect(evaluator.verdict(from: .pod("yb"), to: .pod("xa"), port: 81).explanation == [
            "yb → xa 81/TCP: allowed",
            "egress of pod yb (namespace y): not isolated (no Egress policy selects it)",
            "ingress to pod xa (namespace x): isolated by x/deny-all, x/allow-y-81; allowed by x/allow-y-81 ingress[0] (from[1] namespaceSelector ns=y; ports[1] 81/TCP)",
        ])
        #expect(evaluator.verdict(from: .pod("yb"), to: .pod("xb"), port: 81).explanation == [
            "yb → xb 81/TCP: denied",
            "egress of pod yb (namespace y): not isolated (no Egress policy selects it)",
            "ingress to pod xb (namespace x): isolated by x/deny-all; no rule of it allows this",
        ])
        #expect(evaluator.verdict(from: .pod("xa"), to: .pod("xa"), port: 80).explanation[2]
            == "ingress to pod xa (namespace x): a pod's traffic to itself never leaves it, so no policy applies")
    }

    /// What a data plane builds its sets from: the pods each policy isolates and
    /// each selector peer matches.
    @Test func selectionsForTheDataPlane() throws {
        let topology = try StandardCluster.topology(policies: """
              - name: xa-from-b-everywhere
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Ingress, Egress]
                ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: b } } }, { ipBlock: { cidr: 10.0.0.0/8 } }] }]
            """)
        let evaluator = PolicyEvaluator(topology: topology)
        #expect(evaluator.pods(selectedBy: 0).map(\.name) == ["xa"])
        #expect(evaluator.pods(matchedBy: 0, .ingress, rule: 0, peer: 0).map(\.name) == ["xb", "yb", "zb"])
        #expect(evaluator.pods(matchedBy: 0, .ingress, rule: 0, peer: 1).isEmpty)
        #expect(evaluator.isolatingPolicies(of: "xa", .egress).map(\.qualifiedName) == ["x/xa-from-b-everywhere"])
        #expect(evaluator.isolatingPolicies(of: "xb", .ingress).isEmpty)
    }

    /// LabelSelector's operators as Kubernetes defines them; NotIn holds for an absent label.
    @Test func selectorOperators() {
        let labels = ["app": "web", "tier": "front"]
        #expect(LabelSelectorRequirement(key: "tier", operator: .in, values: ["front", "back"]).matches(labels))
        #expect(!LabelSelectorRequirement(key: "zone", operator: .in, values: ["a"]).matches(labels))
        #expect(LabelSelectorRequirement(key: "zone", operator: .notIn, values: ["a"]).matches(labels))
        #expect(!LabelSelectorRequirement(key: "tier", operator: .notIn, values: ["front"]).matches(labels))
        #expect(LabelSelectorRequirement(key: "app", operator: .exists).matches(labels))
        #expect(LabelSelectorRequirement(key: "zone", operator: .doesNotExist).matches(labels))
        #expect(!LabelSelectorRequirement(key: "app", operator: .doesNotExist).matches(labels))
        #expect(LabelSelector.everything.matches([:]))
        #expect(!LabelSelector(matchLabels: ["app": "web"], matchExpressions: [.init(key: "tier", operator: .doesNotExist)]).matches(labels))
    }
}

/// Policies see service traffic after the DNAT: the endpoint pod, on its target port.
@Suite struct ServiceVerdictTests {
    @Test func aServiceIsJudgedPerEndpointOnItsTargetPort() throws {
        let topology = try #require(TopologyLoader.load(text: """
        name: svc
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        nodes: [{ name: node-0 }, { name: node-1 }]
        namespaces: [{ name: shop }]
        pods:
          - { name: client, node: node-0 }
          - { name: web-0, node: node-0, namespace: shop, labels: { app: web, track: stable } }
          - { name: web-1, node: node-1, namespace: shop, labels: { app: web, track: canary } }
        services:
          - { name: web, namespace: shop, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
        networkPolicies:
          - name: stable-takes-8080
            namespace: shop
            podSelector: { matchLabels: { app: web } }
            ingress:
              - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: default } } }]
                ports: [{ port: 8080 }]
          - name: canary-closed
            namespace: shop
            podSelector: { matchLabels: { track: canary } }
            policyTypes: [Ingress]
        """, file: "svc.yaml").topology)
        let evaluator = PolicyEvaluator(topology: topology)
        let verdicts = evaluator.verdicts(from: .pod("client"), toService: "web", port: 80)
        #expect(verdicts.map(\.endpoint) == ["web-0", "web-1"])
        #expect(verdicts.map(\.targetPort) == [8080, 8080])
        // Both are isolated; stable-takes-8080 selects both, so canary-closed adds nothing.
        #expect(verdicts.map(\.verdict.isAllowed) == [true, true])
        #expect(verdicts[1].verdict.ingress.isolatingPolicies == ["shop/stable-takes-8080", "shop/canary-closed"])
        // On the service port itself (80), the pods would not be reached: the rule names 8080.
        #expect(!evaluator.isAllowed(from: .pod("client"), to: .pod("web-0"), port: 80))
        #expect(evaluator.verdicts(from: .pod("client"), toService: "web", port: 81).isEmpty)
        #expect(evaluator.verdicts(from: .pod("client"), toService: "web", port: 80, protocol: .udp).isEmpty)
    }
}

/// The selections a data plane makes one set each of, shared across policies.
@Suite struct PodSelectionTests {
    @Test func equalSelectorsAreOneSelectionWhateverPolicyWritesThem() throws {
        let evaluator = PolicyEvaluator(topology: try StandardCluster.topology(policies: """
              - name: one
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from:
                      - podSelector: { matchExpressions: [{ key: pod, operator: In, values: [b, c] }] }
                      - namespaceSelector: { matchLabels: { ns: y } }
                      - ipBlock: { cidr: 10.0.0.0/8 }
              - name: two
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress:
                  - to:
                      - podSelector: { matchExpressions: [{ key: pod, operator: In, values: [c, b] }] }
                      - namespaceSelector: { matchLabels: { ns: y } }
              - name: three
                namespace: y
                podSelector: { matchExpressions: [{ key: pod, operator: In, values: [b, c] }] }
                policyTypes: [Ingress]
            """))
        let selections = evaluator.selections
        #expect(selections.map(\.description) == [
            "x: pod=a", "x: pod in (b,c)", "namespaces ns=y: every pod", "y: pod in (b,c)",
        ])
        #expect(selections.map { evaluator.pods(in: $0).map(\.name) } == [["xa"], ["xb", "xc"], ["ya", "yb", "yc"], ["yb", "yc"]])
        // A selection agrees with the evaluator's own peer matching.
        #expect(evaluator.pods(in: selections[1]).map(\.name) == evaluator.pods(matchedBy: 1, .egress, rule: 0, peer: 0).map(\.name))
    }
}

@Suite struct PolicyEndpointParsingTests {
    @Test func aWordNamesAPodANodeAClientOrAnAddress() throws {
        let topology = try #require(TopologyLoader.load(text: """
        name: words
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }]
        clients: [{ name: outside, address: 192.168.64.100 }]
        pods: [{ name: a0, node: node-0 }]
        """, file: "words.yaml").topology)
        #expect(PolicyEndpoint("a0", in: topology) == .pod("a0"))
        #expect(PolicyEndpoint("node-0", in: topology) == .node("node-0"))
        #expect(PolicyEndpoint("outside", in: topology) == .address(ip("192.168.64.100")))
        #expect(PolicyEndpoint("203.0.113.5", in: topology) == .address(ip("203.0.113.5")))
        #expect(PolicyEndpoint("a9", in: topology) == nil)
        #expect(PolicyEndpoint("10.0.0.0/8", in: topology) == nil)
    }
}
