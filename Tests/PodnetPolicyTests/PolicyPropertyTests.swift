import PodnetAddress
import PodnetPolicy
import PodnetTopology
import Testing

/// Properties over random policies on the standard cluster (fixed seeds, so every
/// run tests the same policies): the fast verdict equals the explained one;
/// policies add up, so the verdict of two policies follows from each one's; their
/// order does not matter.
@Suite struct PolicyPropertyTests {
    static let seeds: [UInt64] = Array(1...24)

    @Test(arguments: seeds)
    func policiesAddUpAndTheFastPathAgrees(_ seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let base = try StandardCluster.topology(policies: "")
        let first = (0..<random.below(3) + 1).map { RandomPolicy.make(index: $0, &random) }
        let second = (0..<random.below(3) + 1).map { RandomPolicy.make(index: 10 + $0, &random) }
        let both = evaluator(base, first + second)
        let reversed = evaluator(base, second + first)
        let alone = (evaluator(base, first), evaluator(base, second))
        for (port, proto) in [(80, PortProtocol.tcp), (81, .tcp), (80, .udp)] {
            for source in StandardCluster.pods {
                for destination in StandardCluster.pods {
                    let verdict = both.verdict(from: .pod(source), to: .pod(destination), port: port, protocol: proto)
                    let label = "seed \(seed): \(verdict.explanation.joined(separator: " | "))"
                    #expect(both.isAllowed(from: .pod(source), to: .pod(destination), port: port, protocol: proto) == verdict.isAllowed, "\(label)")
                    #expect(reversed.isAllowed(from: .pod(source), to: .pod(destination), port: port, protocol: proto) == verdict.isAllowed, "\(label)")
                    let one = alone.0.verdict(from: .pod(source), to: .pod(destination), port: port, protocol: proto)
                    let two = alone.1.verdict(from: .pod(source), to: .pod(destination), port: port, protocol: proto)
                    #expect(verdict.egress.isAllowed == combined(one.egress, two.egress), "\(label)")
                    #expect(verdict.ingress.isAllowed == combined(one.ingress, two.ingress), "\(label)")
                    #expect(verdict.ingress.isolatingPolicies == one.ingress.isolatingPolicies + two.ingress.isolatingPolicies, "\(label)")
                }
            }
        }
    }

    private func evaluator(_ base: Topology, _ policies: [NetworkPolicy]) -> PolicyEvaluator {
        var topology = base
        topology.networkPolicies = policies
        return PolicyEvaluator(topology: topology)
    }

    /// One direction under two sets of policies together: unrestricted when neither
    /// isolates the pod; else allowed when a set that isolates it allows.
    private func combined(_ one: DirectionVerdict, _ two: DirectionVerdict) -> Bool {
        let isolated = [one, two].filter { $0.outcome == .allowed || $0.outcome == .denied }
        if isolated.isEmpty { return true }
        return isolated.contains { $0.outcome == .allowed }
    }
}

/// Random policies over the standard cluster's labels, addresses and ports.
enum RandomPolicy {
    static func make(index: Int, _ random: inout SplitMix64) -> NetworkPolicy {
        let types: [[PolicyType]] = [[.ingress], [.egress], [.ingress, .egress]]
        return NetworkPolicy(name: "p\(index)", namespace: ["x", "y", "z"][random.below(3)],
                             podSelector: selector(&random), policyTypes: types[random.below(3)],
                             ingress: (0..<random.below(3)).map { _ in rule(&random) },
                             egress: (0..<random.below(3)).map { _ in rule(&random) })
    }

    static func selector(_ random: inout SplitMix64) -> LabelSelector {
        switch random.below(5) {
        case 0: return .everything
        case 1: return LabelSelector(matchLabels: ["pod": ["a", "b", "c"][random.below(3)]])
        case 2: return LabelSelector(matchExpressions: [.init(key: "pod", operator: .in, values: ["a", "b"])])
        case 3: return LabelSelector(matchExpressions: [.init(key: "pod", operator: .notIn, values: ["c"])])
        default: return LabelSelector(matchExpressions: [.init(key: "pod", operator: .exists)])
        }
    }

    static func namespaceSelector(_ random: inout SplitMix64) -> LabelSelector {
        switch random.below(3) {
        case 0: return .everything
        case 1: return LabelSelector(matchLabels: ["ns": ["x", "y", "z"][random.below(3)]])
        default: return LabelSelector(matchExpressions: [.init(key: "ns", operator: .notIn, values: ["x"])])
        }
    }

    static func rule(_ random: inout SplitMix64) -> NetworkPolicyRule {
        let peers: [NetworkPolicyPeer] = (0..<random.below(3)).map { _ in
            switch random.below(4) {
            case 0: return .pods(selector(&random))
            case 1: return .namespaces(namespaceSelector(&random))
            case 2: return NetworkPolicyPeer(podSelector: selector(&random), namespaceSelector: namespaceSelector(&random))
            default:
                let node = random.below(3)
                return .addresses(IPBlock(cidr: IPv4Prefix("10.200.\(node).0/24")!,
                                          except: random.below(2) == 0 ? [] : [IPv4Prefix("10.200.\(node).10/32")!]))
            }
        }
        let ports: [NetworkPolicyPort] = (0..<random.below(3)).map { _ in
            switch random.below(5) {
            case 0: return NetworkPolicyPort(port: .number(80))
            case 1: return NetworkPolicyPort(port: .number(80), endPort: 81)
            case 2: return NetworkPolicyPort(port: .name("serve-81-tcp"))
            case 3: return NetworkPolicyPort(protocol: .udp)
            default: return NetworkPolicyPort(protocol: .udp, port: .name("serve-80-udp"))
            }
        }
        return NetworkPolicyRule(peers: peers, ports: ports)
    }
}

/// A small seeded generator, so that the random cases are the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
