import PodnetTopology

/// The evaluator's answer for one connection, with its reasons: the egress side
/// (the source pod's policies) and the ingress side (the destination pod's) must
/// both allow it.
public struct PolicyVerdict: Equatable, Sendable {
    public var connection: Connection
    public var egress: DirectionVerdict
    public var ingress: DirectionVerdict

    public var isAllowed: Bool { egress.isAllowed && ingress.isAllowed }

    /// For `check --explain`: the verdict, then one line per direction naming the
    /// policies and rules that decide it.
    public var explanation: [String] {
        ["\(connection): \(isAllowed ? "allowed" : "denied")", egress.explanation, ingress.explanation]
    }
}

/// What one direction's policies say: egress at the source pod, ingress at the
/// destination pod.
public struct DirectionVerdict: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        /// No policy is consulted; the reason says why.
        case unrestricted(Unrestricted)
        /// The pod is isolated and at least one rule of an isolating policy matches.
        case allowed
        /// The pod is isolated and no rule of the isolating policies matches.
        case denied
    }

    public enum Unrestricted: Equatable, Sendable {
        /// This end is not a pod (an address outside the pods, or a node): policies
        /// select pods only.
        case notAPod
        /// A pod talking to itself: the packets never leave its namespace.
        case samePod
        /// Traffic between a pod and its own node, which Kubernetes always allows.
        case ownNode
        /// No policy of this direction's type selects the pod.
        case notIsolated
    }

    public var direction: PolicyType
    /// The pod whose policies are consulted: the source for egress, the destination
    /// for ingress; nil when that end is not a pod.
    public var pod: Pod?
    public var outcome: Outcome
    /// The policies of this type that select the pod, in file order.
    public var isolatingPolicies: [String]
    /// Every rule that matches the connection, in file order.
    public var allowingRules: [RuleMatch]

    public var isAllowed: Bool { outcome != .denied }

    public var explanation: String {
        let side = direction == .egress ? "egress of" : "ingress to"
        let subject = pod.map { "\(side) pod \($0.name) (namespace \($0.namespace))" } ?? "\(direction.rawValue.lowercased())"
        switch outcome {
        case .unrestricted(.notAPod): return "\(subject): not a pod, so no policy applies"
        case .unrestricted(.samePod): return "\(subject): a pod's traffic to itself never leaves it, so no policy applies"
        case .unrestricted(.ownNode): return "\(subject): traffic between a pod and its own node is always allowed"
        case .unrestricted(.notIsolated): return "\(subject): not isolated (no \(direction.rawValue) policy selects it)"
        case .allowed:
            return "\(subject): isolated by \(isolatingPolicies.joined(separator: ", ")); allowed by \(allowingRules.map(\.description).joined(separator: "; "))"
        case .denied:
            return "\(subject): isolated by \(isolatingPolicies.joined(separator: ", ")); no rule of \(isolatingPolicies.count == 1 ? "it" : "them") allows this"
        }
    }
}

/// A rule that matched: `prod/allow-web ingress[0]`, and which of its peers and
/// ports matched (nil: the rule lists none, so every peer or port matches).
public struct RuleMatch: Hashable, Sendable, CustomStringConvertible {
    public var policy: String
    public var direction: PolicyType
    public var rule: Int
    public var peer: Int?
    public var port: Int?
    /// The matching peer and port as written.
    public var matchedPeer: NetworkPolicyPeer?
    public var matchedPort: NetworkPolicyPort?

    public var description: String {
        let peers = zip(peer, matchedPeer).map { "\(direction.peersKey)[\($0)] \($1)" } ?? "every \(direction == .ingress ? "source" : "destination")"
        let ports = zip(port, matchedPort).map { "ports[\($0)] \($1)" } ?? "every port"
        return "\(policy) \(direction.rulesKey)[\(rule)] (\(peers); \(ports))"
    }
}

/// Both values, when both are there.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
