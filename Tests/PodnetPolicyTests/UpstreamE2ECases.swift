import PodnetPolicy
import PodnetTopology
import Testing

/// The scenarios of Kubernetes' e2e network policy suite (test/e2e/network/netpol,
/// as cyclonus replays them), each on the standard cluster with its expected
/// reachability written out.
@Suite struct UpstreamE2ECases {
    static let cases: [TruthTableCase] = [
        TruthTableCase(name: "allow from pods of the server's namespace by podSelector", source: "e2e: based on PodSelector", policies: """
              - name: allow-xb
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ from: [{ podSelector: { matchLabels: { pod: b } } }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "allow only from another namespace by namespaceSelector", source: "e2e: based on NamespaceSelector", policies: """
              - name: allow-y
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]
            """, expected: [Reachability(80, fromYToXaOnly)]),

        TruthTableCase(name: "podSelector with matchExpressions In", source: "e2e: PodSelector with MatchExpressions", policies: """
              - name: allow-b-expression
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ podSelector: { matchExpressions: [{ key: pod, operator: In, values: [b] }] } }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "namespaceSelector with matchExpressions In", source: "e2e: NamespaceSelector with MatchExpressions", policies: """
              - name: allow-y-expression
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ namespaceSelector: { matchExpressions: [{ key: ns, operator: In, values: [y] }] } }]
            """, expected: [Reachability(80, fromYToXaOnly)]),

        TruthTableCase(name: "namespaceSelector NotIn x, or podSelector b", source: "e2e: PodSelector or NamespaceSelector", policies: """
              - name: allow-ns-not-x-or-xb
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from:
                      - namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: [x] }] }
                      - podSelector: { matchLabels: { pod: b } }
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "namespaceSelector NotIn x and podSelector b in one peer", source: "e2e: PodSelector and NamespaceSelector", policies: """
              - name: allow-ns-not-x-and-b
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from:
                      - namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: [x] }] }
                        podSelector: { matchLabels: { pod: b } }
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "namespaceSelector NotIn x and podSelector In b, c", source: "e2e: Multiple PodSelectors and NamespaceSelectors", policies: """
              - name: allow-ns-y-z-pod-b-c
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Ingress]
                ingress:
                  - from:
                      - namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: [x] }] }
                        podSelector: { matchExpressions: [{ key: pod, operator: In, values: [b, c] }] }
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "an empty podSelector peer: every pod of the policy's namespace", source: "e2e: any PodSelectors", policies: """
              - name: allow-from-x
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ from: [{ podSelector: {} }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "a port: only 81 from y", source: "e2e: based on Ports", policies: """
              - name: allow-y-81
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ namespaceSelector: { matchLabels: { ns: y } } }]
                    ports: [{ port: 81, protocol: TCP }]
            """, expected: [Reachability(80, xaIngressDenied), Reachability(81, fromYToXaOnly), Reachability(81, .udp, xaIngressDenied)]),

        TruthTableCase(name: "stacked policies add up: 81 from y, then 80 from y", source: "e2e: multiple, stacked policies with overlapping podSelectors", policies: """
              - name: allow-y-81
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ namespaceSelector: { matchLabels: { ns: y } } }]
                    ports: [{ port: 81, protocol: TCP }]
              - name: allow-y-80
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ namespaceSelector: { matchLabels: { ns: y } } }]
                    ports: [{ port: 80, protocol: TCP }]
            """, expected: [Reachability(80, fromYToXaOnly), Reachability(81, fromYToXaOnly)]),

        TruthTableCase(name: "allow all: one empty rule", source: "e2e: allow-all policy", policies: """
              - name: allow-all
                namespace: x
                podSelector: { matchLabels: {} }
                ingress: [{}]
                policyTypes: [Ingress]
            """, expected: [Reachability(80, allAllowed), Reachability(81, .udp, allAllowed)]),

        TruthTableCase(name: "ingress on one named port", source: "e2e: allow ingress access on one named port", policies: """
              - name: allow-81-by-name
                namespace: x
                podSelector: {}
                ingress: [{ ports: [{ port: serve-81-tcp }] }]
            """, expected: [Reachability(81, allAllowed), Reachability(80, xIngressDenied), Reachability(81, .udp, xIngressDenied)]),

        TruthTableCase(name: "ingress from a namespace on one named port", source: "e2e: allow ingress access from namespace on one named port", policies: """
              - name: allow-y-80-by-name
                namespace: x
                podSelector: {}
                ingress:
                  - from: [{ namespaceSelector: { matchLabels: { ns: y } } }]
                    ports: [{ port: serve-80-tcp }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ·  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            """), Reachability(81, xIngressDenied)]),

        TruthTableCase(name: "egress on one named port, resolved on the destination", source: "e2e: allow egress access on one named port", policies: """
              - name: allow-egress-80-by-name
                namespace: x
                podSelector: {}
                policyTypes: [Egress]
                egress: [{ ports: [{ port: serve-80-udp, protocol: UDP }] }]
            """, expected: [Reachability(80, .udp, allAllowed), Reachability(81, .udp, xEgressDenied), Reachability(80, xEgressDenied)]),

        TruthTableCase(name: "any port of one protocol", source: "e2e: ingress policy allowing any port traffic to a server on a specific protocol", policies: """
              - name: allow-udp
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ ports: [{ protocol: UDP }] }]
            """, expected: [Reachability(80, .udp, allAllowed), Reachability(81, .udp, allAllowed), Reachability(80, xaIngressDenied)]),

        TruthTableCase(name: "UDP only: TCP on the same port is denied", source: "e2e: not allow access by TCP when a policy specifies only UDP", policies: """
              - name: allow-udp-81
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ ports: [{ protocol: UDP, port: 81 }] }]
            """, expected: [Reachability(81, .udp, allAllowed), Reachability(81, xaIngressDenied), Reachability(80, .udp, xaIngressDenied)]),

        TruthTableCase(name: "egress to a pod of another namespace by namespaceSelector and podSelector", source: "e2e: egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector", policies: """
              - name: allow-to-ya
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress:
                  - to: [{ namespaceSelector: { matchLabels: { ns: y } }, podSelector: { matchLabels: { pod: a } } }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ✓  ·  ·  ·  ·  ·
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "egress to a CIDR block with an except", source: "e2e: except clause while egress access to server in CIDR block", policies: """
              - name: allow-b-pods-but-xb
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress: [{ to: [{ ipBlock: { cidr: 10.200.1.0/24, except: [10.200.1.10/32] } }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ·  ✓  ·  ·  ✓  ·
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "an address in one block's except and in another block is allowed", source: "e2e: IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed", policies: """
              - name: allow-b-pods-but-xb
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress: [{ to: [{ ipBlock: { cidr: 10.200.1.0/24, except: [10.200.1.10/32] } }] }]
              - name: allow-xb
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress: [{ to: [{ ipBlock: { cidr: 10.200.1.10/32 } }] }]
            """, expected: [Reachability(80, KubernetesDocumentationCases.xaToBPodsOnly)]),

        TruthTableCase(name: "ingress and egress isolated independently", source: "e2e: ingress and egress policies can be controlled independently", policies: """
              - name: deny-egress-xa
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
              - name: deny-ingress-ya
                namespace: y
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Ingress]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ·  ·  ·  ·  ·  ·
            xb  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "deny egress of one pod", source: "e2e: deny egress from pods based on PodSelector", policies: """
              - name: deny-egress-xa
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress: []
            """, expected: [Reachability(80, xaEgressDenied), Reachability(81, .udp, xaEgressDenied)]),

        TruthTableCase(name: "deny egress of every pod of a namespace", source: "e2e: deny egress from all pods in a namespace", policies: """
              - name: deny-egress-x
                namespace: x
                podSelector: {}
                policyTypes: [Egress]
                egress: []
            """, expected: [Reachability(80, xEgressDenied)]),

        TruthTableCase(name: "ingress and egress in one policy", source: "e2e: work with Ingress, Egress specified together", policies: """
              - name: xa-in-from-b-out-80-and-dns
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Ingress, Egress]
                ingress: [{ from: [{ podSelector: { matchLabels: { pod: b } } }] }]
                egress: [{ ports: [{ port: 80 }, { protocol: UDP, port: 53 }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """), Reachability(81, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ·  ·  ·  ·  ·  ·
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "egress denied at the client even where the server's ingress allows it", source: "e2e: denying of egress traffic on the client side", policies: """
              - name: allow-to-ya
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Egress]
                egress:
                  - to: [{ namespaceSelector: { matchLabels: { ns: y } }, podSelector: { matchLabels: { pod: a } } }]
                  - ports: [{ protocol: UDP, port: 53 }]
              - name: allow-from-xa-on-ya
                namespace: y
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ namespaceSelector: { matchLabels: { ns: x } }, podSelector: { matchLabels: { pod: a } } }]
              - name: allow-from-xa-on-yb
                namespace: y
                podSelector: { matchLabels: { pod: b } }
                ingress:
                  - from: [{ namespaceSelector: { matchLabels: { ns: x } }, podSelector: { matchLabels: { pod: a } } }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ✓  ·  ·  ·  ·  ·
            xb  ✓  ✓  ✓  ·  ·  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ·  ·  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ·  ·  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ·  ·  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ·  ·  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ·  ·  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "a pod labelled into a deny selector is isolated", source: "e2e: deny ingress access to updated pod", policies: """
              - name: deny-isolated
                namespace: x
                podSelector: { matchLabels: { target: isolated } }
                policyTypes: [Ingress]
                ingress: []
            """, podLabels: ["xa": "target: isolated"], expected: [Reachability(80, xaIngressDenied)]),
    ]

    /// xa takes connections from y's pods only (and from itself).
    static let fromYToXaOnly = """
        xa xb xc ya yb yc za zb zc
    xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
    """

    @Test(arguments: cases)
    func truthTable(_ testCase: TruthTableCase) throws { try check(testCase) }
}
