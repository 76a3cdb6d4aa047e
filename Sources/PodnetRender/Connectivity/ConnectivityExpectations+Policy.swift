import PodnetAddress
import PodnetPolicy
import PodnetTopology

/// The cluster's NetworkPolicies as the check's expectations use them: the
/// evaluator (PodnetPolicy) answers for every probe. Equal when built from equal
/// topologies.
public struct PolicyModel: Sendable, Equatable {
    public let evaluator: PolicyEvaluator

    public init(_ evaluator: PolicyEvaluator) { self.evaluator = evaluator }

    public static func == (lhs: PolicyModel, rhs: PolicyModel) -> Bool { lhs.evaluator.topology == rhs.evaluator.topology }
}

/// A port every pod is probed on when the cluster has policies: `80/TCP`.
public struct PolicyProbePort: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let port: Int
    public let `protocol`: ServicePort.TransportProtocol

    public init(_ port: Int, _ protocol: ServicePort.TransportProtocol) {
        self.port = port
        self.protocol = `protocol`
    }

    public var description: String { "\(port)/\(`protocol`.rawValue.uppercased())" }

    public static func < (lhs: PolicyProbePort, rhs: PolicyProbePort) -> Bool {
        (lhs.protocol.rawValue, lhs.port) < (rhs.protocol.rawValue, rhs.port)
    }

    var policyProtocol: PortProtocol { `protocol` == .udp ? .udp : .tcp }
}

extension ConnectivityExpectations {
    /// Whether an echo of `family` (ICMP, ICMPv6) from pod `source` to pod
    /// `destination` must be answered: the pods share a segment, both have an
    /// address of the family, and, where policies apply, they allow it (an echo has
    /// no port, so only rules without `ports` let it through). The policies'
    /// verdict is the same in both families but for ipBlock peers, which match
    /// their own family's traffic alone. Policies are enforced on nodes: between
    /// the two pods of a direct link no node sees the traffic, so nothing filters it.
    public func expectsEcho(from source: Int, to destination: Int, family: AddressFamily) -> Bool {
        guard expectsReach(from: source, to: destination, family: family) else { return false }
        guard let policies, hasGateway(source) else { return true }
        return policies.evaluator.isAllowed(.echo(from: .pod(pods[source].name), to: .pod(pods[destination].name), family: family))
    }

    public func expectsEcho(from source: Int, to destination: Int) -> Bool {
        expectsEcho(from: source, to: destination, family: .ipv4)
    }

    /// Whether the pod network leads from `source` to `destination` in `family`:
    /// where it does in IPv4, to and from pods with an address of the family.
    public func expectsReach(from source: Int, to destination: Int, family: AddressFamily) -> Bool {
        guard pods[source].ip(family) != nil, pods[destination].ip(family) != nil else { return false }
        return expectsReach(from: source, to: destination)
    }

    /// The ports a policy check probes between every two pods: TCP and UDP 80 and
    /// 81 (one port a policy typically names, one it does not), every port number
    /// a policy names and both ends of each `endPort` range, and every pod port a
    /// policy names by name. Empty without policies. SCTP is not probed.
    public var policyProbePorts: [PolicyProbePort] {
        guard let policies else { return [] }
        let topology = policies.evaluator.topology
        var ports: Set<PolicyProbePort> = [PolicyProbePort(80, .tcp), PolicyProbePort(81, .tcp), PolicyProbePort(80, .udp), PolicyProbePort(81, .udp)]
        for policy in topology.networkPolicies {
            for rule in policy.ingress + policy.egress {
                for entry in rule.ports {
                    guard let transport = Self.transport(entry.protocol) else { continue }
                    switch entry.port {
                    case .number(let number)?:
                        ports.insert(PolicyProbePort(number, transport))
                        if let last = entry.endPort { ports.insert(PolicyProbePort(last, transport)) }
                    case .name(let name)?:
                        for pod in topology.pods {
                            for port in pod.ports where port.name == name && port.protocol == entry.protocol {
                                ports.insert(PolicyProbePort(port.port, transport))
                            }
                        }
                    case nil:
                        break
                    }
                }
            }
        }
        return ports.sorted()
    }

    static func transport(_ protocol: PortProtocol) -> ServicePort.TransportProtocol? {
        switch `protocol` {
        case .tcp: .tcp
        case .udp: .udp
        case .sctp: nil
        }
    }

    /// Whether a connection of `family` from pod `source` to pod `destination` on
    /// `port` must be answered: they reach each other and the policies allow it (a
    /// pod's own address always; between direct-link pods always, as `expectsEcho` says).
    public func expectsPolicyReach(from source: Int, to destination: Int, on port: PolicyProbePort,
                                   family: AddressFamily = .ipv4) -> Bool {
        guard expectsReach(from: source, to: destination, family: family) else { return false }
        guard let policies, hasGateway(source) else { return true }
        return policies.evaluator.isAllowed(from: .pod(pods[source].name), to: .pod(pods[destination].name),
                                            port: port.port, protocol: port.policyProtocol, family: family)
    }

    /// The policies' verdict on a pod pair, port and family, with its reasons (for
    /// failures and `check --explain`).
    public func policyVerdict(from source: Int, to destination: Int, on port: PolicyProbePort,
                              family: AddressFamily = .ipv4) -> PolicyVerdict? {
        policies?.evaluator.verdict(from: .pod(pods[source].name), to: .pod(pods[destination].name),
                                    port: port.port, protocol: port.policyProtocol, family: family)
    }

    /// `expected` (answered by some endpoints) as NetworkPolicy leaves it for a
    /// source pod in `family`: policies judge a service connection after DNAT, at
    /// the endpoint and its target port, so each endpoint is allowed or not on its own.
    func filtered(_ expected: ConnectionExpectation, from source: Pod, port: ServicePort, family: AddressFamily) -> ConnectionExpectation {
        guard let policies, case .answered(let endpoints) = expected else { return expected }
        let proto: PortProtocol = port.protocol == .udp ? .udp : .tcp
        let allowed = endpoints.filter {
            policies.evaluator.isAllowed(from: .pod(source.name), to: .pod($0), port: port.targetPort, protocol: proto, family: family)
        }
        return allowed.count == endpoints.count ? expected : .filtered(allowed: allowed, endpoints: endpoints)
    }
}
