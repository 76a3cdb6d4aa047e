import PodnetAddress
import PodnetPolicy
import PodnetTopology

/// What a healthy cluster shows when probed from inside its pods, derived from the
/// topology alone: which pods reach which, and what each service port answers.
/// `podnet check` measures the same things and compares.
///
/// Pod to pod: every pod behind a bridge reaches every other such pod, on any node
/// (every backend joins the nodes' pod networks), and itself. A pod of a
/// `bridge: none` node reaches its `links` peer and itself, and nothing else: it
/// has no gateway. A pod on such a node in no link has no address at all and
/// reaches nothing, not even its own (unassigned) IP.
public struct ConnectivityExpectations: Sendable, Equatable {
    /// The pods in declaration order: the rows (senders) and columns of the matrix.
    public let pods: [Pod]
    public let services: [Service]
    /// Who connects to service targets: the pods, in order, then the lab clients.
    /// Every target's `expected` is aligned with a prefix of it (ClusterIPs are
    /// probed from the pods only).
    public let sources: [ProbeSource]
    public let nodes: [Node]
    /// Every address of each node (`NodeAddresses`): what masquerade may pick.
    public let nodeAddresses: [String: [IPAddress]]
    /// Per service with external IPs, the node the clients route them to (`ExternalIPAnnouncement`).
    public let externalIPNodes: [String: String]
    /// Whether pods' traffic leaving the cluster CIDR leaves with its node's address
    /// (`network.masquerade`): then a pod's connection to another node's NodePort
    /// arrives there from its node, as a client's would.
    let masqueradesPodEgress: Bool
    /// Whether a pod's traffic to a `Local` NodePort or external IP of its own node
    /// goes to any endpoint (kube-proxy's nftables and iptables modes), or, in IPVS
    /// mode, only to the node's own, as everyone's does.
    let shortCircuitsPodTraffic: Bool
    /// About how many neighbour (ARP) entries the kernel holds once every pod has
    /// talked to every pod: each bridged pod resolves the pods of its node and its
    /// gateway, each node its pods and the other nodes, each linked pod its peer.
    /// The kernel's table is one for all namespaces (sysctl
    /// net.ipv4.neigh.default.gc_thresh3, 1024 by default), so a big lab's full
    /// mesh can fill it and pairs fail for that alone.
    public let neighbourEntriesForFullMesh: Int
    private let segments: [Segment?]
    /// The cluster's NetworkPolicies, where it has any: what they allow is what a
    /// probe must see (`ConnectivityExpectations+Policy`).
    public let policies: PolicyModel?

    /// Where a pod's eth0 leads: pods reach each other exactly when they share one.
    enum Segment: Hashable {
        /// The bridged pods of every node, joined by the backend.
        case podNetwork
        /// The two pods of one `links` entry (its index).
        case link(Int)
    }

    /// - Parameter nodeAddresses: every address of each node; by default those of
    ///   the lab rendering of `topology`, worked out only when a service accepts
    ///   traffic from outside (the external probes' source expectations need them).
    public init(topology: Topology, nodeAddresses: [String: [IPAddress]]? = nil) {
        pods = topology.pods
        services = topology.services
        nodes = topology.nodes
        masqueradesPodEgress = topology.network.masquerade
        shortCircuitsPodTraffic = topology.proxy.mode != .ipvs
        sources = topology.pods.map { ProbeSource(name: $0.name, address: $0.ip, kind: .pod, node: $0.node, addressV6: $0.ipv6) }
            + topology.clients.map { ProbeSource(name: $0.name, address: $0.address, kind: .client, node: nil, addressV6: $0.addressV6) }
        externalIPNodes = Dictionary(topology.services.filter { !$0.externalIPs.isEmpty }.compactMap { service in
            ExternalIPAnnouncement.node(for: service, in: topology).map { (service.name, $0.name) }
        }, uniquingKeysWith: { first, _ in first })
        if let nodeAddresses {
            self.nodeAddresses = nodeAddresses
        } else if topology.services.contains(where: \.acceptsExternalTraffic) {
            self.nodeAddresses = NodeAddresses.of(LabRenderer(topology: topology).render(), topology: topology)
        } else {
            self.nodeAddresses = [:]
        }
        var linkOf: [String: Int] = [:]
        for (index, link) in topology.links.enumerated() {
            for pod in link.pods { linkOf[pod] = index }
        }
        policies = topology.networkPolicies.isEmpty ? nil : PolicyModel(PolicyEvaluator(topology: topology))
        segments = topology.pods.map { pod in
            if topology.node(named: pod.node)?.bridge != nil { return .podNetwork }
            return linkOf[pod.name].map(Segment.link)
        }
        var bridgedPods: [String: Int] = [:]
        for (pod, segment) in zip(topology.pods, segments) where segment == .podNetwork { bridgedPods[pod.node, default: 0] += 1 }
        neighbourEntriesForFullMesh = topology.nodes.reduce(2 * topology.links.count) { total, node in
            let pods = bridgedPods[node.name] ?? 0
            return total + pods * pods + pods + topology.nodes.count - 1
        }
    }

    public func index(ofPod name: String) -> Int? { pods.firstIndex { $0.name == name } }

    /// The service's endpoints on `node`, in the service's order.
    func endpoints(of service: Service, on node: String) -> [String] {
        service.endpoints.filter { endpoint in pods.first { $0.name == endpoint }?.node == node }
    }

    /// Whether an ICMP echo from pod `source` to pod `destination`'s IP must be
    /// answered (true) or must not be (false). Indices into `pods`.
    public func expectsReach(from source: Int, to destination: Int) -> Bool {
        guard let segment = segments[source] else { return false }
        return segments[destination] == segment
    }

    /// Whether a pod has a route into the pod network, and so to ClusterIPs (which
    /// its default route via the node's bridge carries to the node's proxy rules).
    public func hasGateway(_ pod: Int) -> Bool { segments[pod] == .podNetwork }

    /// Why `source` must not reach `destination`, in a user's words; nil if it must.
    public func isolationReason(from source: Int, to destination: Int, family: AddressFamily = .ipv4) -> String? {
        if let pod = [pods[source], pods[destination]].first(where: { $0.ip(family) == nil }) {
            return "\(pod.name) has no \(family.name) address"
        }
        if expectsReach(from: source, to: destination) {
            guard !expectsEcho(from: source, to: destination, family: family), let policies else { return nil }
            return "NetworkPolicy denies it: " + policies.evaluator.verdict(for: .echo(from: .pod(pods[source].name), to: .pod(pods[destination].name), family: family))
                .explanation.dropFirst().filter { !$0.contains("not isolated") && !$0.contains("no policy applies") }.joined(separator: "; ")
        }
        let from = pods[source], to = pods[destination]
        switch segments[source] {
        case nil:
            return "\(from.name) is on bridge-less node \(from.node) and in no link: it has no address"
        case .link:
            return "\(from.name) is on bridge-less node \(from.node): it reaches only its link peer"
        case .podNetwork:
            return segments[destination] == nil
                ? "\(to.name) is on bridge-less node \(to.node) and in no link: it has no address"
                : "\(to.name) is on bridge-less node \(to.node): only its link peer reaches it"
        }
    }

    /// The service ports to probe and what each pod must see when it connects.
    /// - Parameter via: `.clusterIP` probes what clients use, the load-balanced
    ///   ClusterIP:port; `.endpoints` probes each endpoint at its pod IP and
    ///   targetPort directly, bypassing the proxy (a broken endpoint, told apart
    ///   from a broken load balancer).
    public func serviceTargets(via: ServiceTarget.Via) -> [ServiceTarget] {
        var targets: [ServiceTarget] = []
        for service in services {
            let endpointIndices = service.endpoints.compactMap(index(ofPod:))
            for port in service.ports {
                switch via {
                case .clusterIP:
                    // One target per ClusterIP the service has: what each family's proxy
                    // rules must do is the same (ip6tables beside iptables), and so is what
                    // NetworkPolicy allows, but for ipBlock peers, which match their family's
                    // traffic alone.
                    for family in AddressFamily.allCases {
                        guard let address = service.clusterIP(family) else { continue }
                        let expected: [ConnectionExpectation] = pods.indices.map { source in
                            guard hasGateway(source) else { return .unreachable }
                            if service.endpoints.isEmpty { return .rejected }
                            guard service.internalTrafficPolicy == .local else {
                                return filtered(.answered(by: service.endpoints), from: pods[source], port: port, family: family)
                            }
                            // Only the sender's node's endpoints; where it has none, dropped (kube-proxy).
                            let local = endpoints(of: service, on: pods[source].node)
                            return local.isEmpty ? .dropped : filtered(.answered(by: local), from: pods[source], port: port, family: family)
                        }
                        targets.append(ServiceTarget(service: service.name, port: port, route: .clusterIP,
                                                     address: address, destinationPort: port.port,
                                                     endpoints: service.endpoints, expected: expected,
                                                     oneEndpointPerSource: service.sessionAffinity != .none,
                                                     policy: service.internalTrafficPolicy))
                    }
                case .endpoints:
                    for endpoint in endpointIndices {
                        let pod = pods[endpoint]
                        // The endpoint's IPv4 address where the service has IPv4.
                        if service.clusterIP != nil, let address = pod.ip(.ipv4) {
                            let expected: [ConnectionExpectation] = pods.indices.map { source in
                                guard expectsReach(from: source, to: endpoint, family: .ipv4) else { return .unreachable }
                                return filtered(.answered(by: [pod.name]), from: pods[source], port: port, family: .ipv4)
                            }
                            targets.append(ServiceTarget(service: service.name, port: port, route: .endpoint(pod.name),
                                                         address: address, destinationPort: port.targetPort,
                                                         endpoints: service.endpoints, expected: expected))
                        }
                        // The endpoint's IPv6 address where the service has IPv6: reached
                        // where an IPv6 source reaches it, as NetworkPolicy leaves IPv6.
                        if service.clusterIPv6 != nil, let address = pod.ip(.ipv6) {
                            targets.append(ServiceTarget(service: service.name, port: port, route: .endpoint(pod.name),
                                                         address: address, destinationPort: port.targetPort, endpoints: service.endpoints,
                                                         expected: pods.indices.map { source in
                                                             guard expectsReach(from: source, to: endpoint, family: .ipv6) else { return .unreachable }
                                                             return filtered(.answered(by: [pod.name]), from: pods[source], port: port, family: .ipv6)
                                                         }))
                        }
                    }
                }
            }
        }
        return targets
    }

    /// The listeners a service check needs: one per endpoint pod, targetPort and
    /// protocol (two services sharing an endpoint and a targetPort share it).
    public func listeners(for targets: [ServiceTarget]) -> [ListenerSpec] {
        var seen: Set<ListenerSpec> = []
        var listeners: [ListenerSpec] = []
        for target in targets {
            let pods: [String] = switch target.route {
            case .clusterIP, .nodePort, .externalIP: target.endpoints
            case .endpoint(let pod): [pod]
            }
            for pod in pods {
                let listener = ListenerSpec(pod: pod, port: target.port.targetPort, protocol: target.port.protocol, family: target.address.family)
                if seen.insert(listener).inserted { listeners.append(listener) }
            }
        }
        return listeners
    }
}

/// One address and port to connect to, and what each pod must see there.
public struct ServiceTarget: Sendable, Equatable {
    /// What a check connects to: the ClusterIPs, or each endpoint directly.
    public enum Via: String, CaseIterable, Sendable {
        case clusterIP
        case endpoints
    }

    public enum Route: Hashable, Sendable {
        /// The service's ClusterIP and port, load-balanced by the proxy.
        case clusterIP
        /// One endpoint's pod IP and the targetPort, bypassing the proxy.
        case endpoint(String)
        /// Traffic from outside: the NodePort on this node's address.
        case nodePort(node: String)
        /// Traffic from outside: an external IP and the service port, as clients route
        /// it to this node (`ExternalIPAnnouncement`).
        case externalIP(node: String)

        /// Whether this is traffic from outside (a NodePort or an external IP).
        public var isExternal: Bool {
            switch self {
            case .nodePort, .externalIP: true
            case .clusterIP, .endpoint: false
            }
        }

        /// The node a NodePort or external IP's traffic arrives at.
        public var receivingNode: String? {
            switch self {
            case .nodePort(let node), .externalIP(let node): node
            case .clusterIP, .endpoint: nil
            }
        }
    }

    public let service: String
    public let port: ServicePort
    public let route: Route
    /// The address connected to; an IPv6 ClusterIP is a target of its own.
    public let address: IPAddress
    /// The port connected to: the service port via the ClusterIP, else the targetPort.
    public let destinationPort: Int
    /// The service's endpoint pods (all of them, also when probing one directly).
    public let endpoints: [String]
    /// Per source, aligned with the first `expected.count` of
    /// `ConnectivityExpectations.sources`: ClusterIP and endpoint targets have one
    /// per pod, NodePorts and external IPs one per pod and client.
    public let expected: [ConnectionExpectation]
    /// Per source as `expected`, the address the endpoint must see the connection
    /// come from; empty where that is not checked (ClusterIP and endpoint targets).
    public var sourcesSeen: [SourceExpectation] = []
    /// `sessionAffinity: ClientIP`: all of one source's connections reach one endpoint.
    public var oneEndpointPerSource = false
    /// The policy that chose the endpoints: `externalTrafficPolicy` for traffic from
    /// outside, `internalTrafficPolicy` for ClusterIPs.
    public var policy: TrafficPolicy = .cluster

    /// `web:80/TCP`; a UDP port says so, TCP is the default.
    public var label: String {
        "\(service):\(port.port)" + (port.protocol == .udp ? "/UDP" : "")
    }

    /// `10.96.0.1:80`, `[fd00:96::1]:80`: the address and port connected to.
    public var destination: String {
        address.family == .ipv4 ? "\(address):\(destinationPort)" : "[\(address)]:\(destinationPort)"
    }
}

/// What one pod's connections to a target must show.
public enum ConnectionExpectation: Hashable, Sendable {
    /// Every connection is answered, each by one of these pods.
    case answered(by: [String])
    /// Every connection is refused at once (a service without endpoints: the proxy
    /// rejects, as kube-proxy does, rather than letting clients wait). The report
    /// lets connections past the first refusals time out: the kernel rate-limits
    /// the ICMP errors a reject sends.
    case rejected
    /// No connection is answered: the pod has no route there.
    case unreachable
    /// No connection is answered, and none is refused either: every one times out
    /// (a `Local` policy at a node without a local endpoint: kube-proxy drops, so
    /// that a load balancer's health check takes the node for down).
    case dropped
    /// NetworkPolicy lets the source reach only some of the endpoints the proxy
    /// picks from (`allowed`, maybe none): connections to those are answered, the
    /// rest dropped (they time out), none refused.
    case filtered(allowed: [String], endpoints: [String])
}

/// A listener podnet runs for the duration of a check: inside `pod`, on `port`,
/// answering every connection (or datagram) with the pod's name and the source
/// address it saw.
public struct ListenerSpec: Hashable, Sendable {
    public let pod: String
    public let port: Int
    public let `protocol`: ServicePort.TransportProtocol
    /// The family of the targets it serves (a socket per family in the pod).
    public let family: AddressFamily

    public init(pod: String, port: Int, protocol: ServicePort.TransportProtocol, family: AddressFamily = .ipv4) {
        self.pod = pod
        self.port = port
        self.protocol = `protocol`
        self.family = family
    }
}
