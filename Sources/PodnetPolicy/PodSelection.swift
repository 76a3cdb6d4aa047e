import PodnetTopology

/// The pods some selectors pick, whichever policy wrote them: the unit a data
/// plane makes one named address set of. Every policy and peer that picks pods by
/// the same selectors shares it, so that a pod's arrival, departure or relabelling
/// changes set elements, never a rule.
public struct PodSelection: Hashable, Sendable, CustomStringConvertible {
    /// The namespace a `podSelector` alone is confined to (the policy's); nil when
    /// a `namespaceSelector` chooses the namespaces.
    public var namespace: String?
    public var namespaceSelector: LabelSelector?
    /// nil: every pod of the chosen namespaces.
    public var podSelector: LabelSelector?

    /// The pods a policy isolates: its `podSelector` in its namespace.
    public init(targetOf policy: NetworkPolicy) {
        namespace = policy.namespace
        namespaceSelector = nil
        podSelector = Self.normalized(policy.podSelector)
    }

    /// The pods a selector peer matches; nil for an `ipBlock` peer, which matches
    /// addresses.
    public init?(peer: NetworkPolicyPeer, of policy: NetworkPolicy) {
        guard peer.ipBlock == nil else { return nil }
        namespace = peer.namespaceSelector == nil ? policy.namespace : nil
        namespaceSelector = peer.namespaceSelector.map(Self.normalized)
        podSelector = peer.podSelector.map(Self.normalized)
    }

    public func matches(_ pod: Pod, namespaceLabels: [String: String]) -> Bool {
        if let namespace, pod.namespace != namespace { return false }
        if let namespaceSelector, !namespaceSelector.matches(namespaceLabels) { return false }
        return podSelector?.matches(pod.labels) ?? true
    }

    /// `x: pod=a`, `namespaces ns=y: pod=b`, `namespaces {}: every pod`.
    public var description: String {
        let scope = namespace ?? "namespaces \(namespaceSelector ?? .everything)"
        return "\(scope): \(podSelector.map(\.description) ?? "every pod")"
    }

    /// Requirements and their values in one order, so that selectors written in
    /// different orders are one selection.
    static func normalized(_ selector: LabelSelector) -> LabelSelector {
        let requirements = selector.matchExpressions
            .map { LabelSelectorRequirement(key: $0.key, operator: $0.operator, values: Array(Set($0.values)).sorted()) }
            .sorted { ($0.key, $0.operator.rawValue, $0.values.joined(separator: ",")) < ($1.key, $1.operator.rawValue, $1.values.joined(separator: ",")) }
        var unique: [LabelSelectorRequirement] = []
        for requirement in requirements where unique.last != requirement { unique.append(requirement) }
        return LabelSelector(matchLabels: selector.matchLabels, matchExpressions: unique)
    }
}

extension PolicyEvaluator {
    /// Every distinct selection the policies use, targets and selector peers, in
    /// the order the file first uses them.
    public var selections: [PodSelection] {
        var seen: Set<PodSelection> = []
        var result: [PodSelection] = []
        for policy in topology.networkPolicies {
            let peers = (policy.ingress + policy.egress).flatMap(\.peers).compactMap { PodSelection(peer: $0, of: policy) }
            for selection in [PodSelection(targetOf: policy)] + peers where seen.insert(selection).inserted {
                result.append(selection)
            }
        }
        return result
    }

    /// The pods of a selection, in pod order.
    public func pods(in selection: PodSelection) -> [Pod] {
        topology.pods.filter { selection.matches($0, namespaceLabels: topology.namespaceLabels(of: $0.namespace)) }
    }
}
