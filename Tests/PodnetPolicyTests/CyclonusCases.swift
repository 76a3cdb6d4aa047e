import PodnetPolicy
import PodnetTopology
import Testing

/// Cases in the manner of cyclonus' generator (pkg/generator: target, peers,
/// port/protocol, rules, conflict and namespace cases): one feature varied at a
/// time on the standard cluster.
@Suite struct CyclonusCases {
    static let cases: [TruthTableCase] = [
        TruthTableCase(name: "policyTypes left out, with egress rules: the policy isolates both directions", source: "cyclonus: policy types", policies: """
              - name: xa-egress-to-y
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ✓  ✓  ✓  ·  ·  ·
            xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "policyTypes left out, egress: []: an Ingress policy only", source: "cyclonus: policy types", policies: """
              - name: xa-empty-egress
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                egress: []
            """, warns: true, expected: [Reachability(80, xaIngressDenied)]),

        TruthTableCase(name: "namespaceSelector {} with a podSelector: those pods in every namespace", source: "cyclonus: peers (all namespaces, pod selector)", policies: """
              - name: from-every-b
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: b } } }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "namespaceSelector {} alone: every pod of every namespace", source: "cyclonus: peers (all namespaces)", policies: """
              - name: from-every-namespace
                namespace: x
                podSelector: {}
                ingress: [{ from: [{ namespaceSelector: {} }] }]
            """, expected: [Reachability(80, allAllowed)]),

        TruthTableCase(name: "NotIn over every namespace: the c pods", source: "cyclonus: peers (match expressions)", policies: """
              - name: from-not-a-or-b
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress:
                  - from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: pod, operator: NotIn, values: [a, b] }] } }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "target by Exists: every pod of x is isolated", source: "cyclonus: target (match expressions)", policies: """
              - name: deny-pods-with-a-pod-label
                namespace: x
                podSelector: { matchExpressions: [{ key: pod, operator: Exists }] }
                policyTypes: [Ingress]
            """, expected: [Reachability(80, xIngressDenied)]),

        TruthTableCase(name: "target by DoesNotExist: no pod lacks the label, nothing is isolated", source: "cyclonus: target (match expressions)", policies: """
              - name: deny-unlabelled
                namespace: x
                podSelector: { matchExpressions: [{ key: pod, operator: DoesNotExist }] }
                policyTypes: [Ingress, Egress]
            """, expected: [Reachability(80, allAllowed)]),

        TruthTableCase(name: "a podSelector selects in the policy's namespace only", source: "cyclonus: target (namespace)", policies: """
              - name: deny-pod-a
                namespace: y
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Ingress]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            xb  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ·  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "an endPort range that starts above the port", source: "cyclonus: port/protocol (range)", policies: """
              - name: range-81-90
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ ports: [{ port: 81, endPort: 90 }] }]
            """, expected: [Reachability(80, xaIngressDenied), Reachability(81, allAllowed), Reachability(81, .udp, xaIngressDenied)]),

        TruthTableCase(name: "an ipBlock matches pod addresses too", source: "cyclonus: peers (ip block)", policies: """
              - name: from-c-pods-by-address
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ from: [{ ipBlock: { cidr: 10.200.2.0/24 } }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "everything but the cluster: an except holding every pod", source: "cyclonus: peers (ip block except)", policies: """
              - name: from-outside-only
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ from: [{ ipBlock: { cidr: 0.0.0.0/0, except: [10.200.0.0/16] } }] }]
            """, expected: [Reachability(80, xaIngressDenied)]),

        TruthTableCase(name: "two policies on one pod add up, each with its own peers and ports", source: "cyclonus: conflict (allow and allow)", policies: """
              - name: from-y-on-80
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }], ports: [{ port: 80 }] }]
              - name: from-z-on-any-port
                namespace: x
                podSelector: {}
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: z } } }] }]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ·  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """), Reachability(81, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ·  ✓  ✓  ✓  ✓  ✓  ✓
            xc  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            ya  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),

        TruthTableCase(name: "a deny-all next to an allow: the allow wins (no deny rules)", source: "cyclonus: conflict (deny and allow)", policies: """
              - name: deny-all
                namespace: x
                podSelector: {}
                policyTypes: [Ingress, Egress]
              - name: allow-all-for-a
                namespace: x
                podSelector: { matchLabels: { pod: a } }
                policyTypes: [Ingress, Egress]
                ingress: [{}]
                egress: [{}]
            """, expected: [Reachability(80, """
                xa xb xc ya yb yc za zb zc
            xa  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            xb  ·  ✓  ·  ·  ·  ·  ·  ·  ·
            xc  ·  ·  ✓  ·  ·  ·  ·  ·  ·
            ya  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yb  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            yc  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            za  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            zb  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            zc  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
            """)]),
    ]

    @Test(arguments: cases)
    func truthTable(_ testCase: TruthTableCase) throws { try check(testCase) }
}
