import PodnetAddress
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
    /// About how many neighbour (ARP) entries the kernel holds once every pod has
    /// talked to every pod: each bridged pod resolves the pods of its node and its
    /// gateway, each node its pods and the other nodes, each linked pod its peer.
    /// The kernel's table is one for all namespaces (sysctl
    /// net.ipv4.neigh.default.gc_thresh3, 1024 by default), so a big lab's full
    /// mesh can fill it and pairs fail for that alone.
    public let neighbourEntriesForFullMesh: Int
    private let segments: [Segment?]

    /// Where a pod's eth0 leads: pods reach each other exactly when they share one.
    enum Segment: Hashable {
        /// The bridged pods of every node, joined by the backend.
        case podNetwork
        /// The two pods of one `links` entry (its index).
        case link(Int)
    }

    public init(topology: Topology) {
        pods = topology.pods
        services = topology.services
        var linkOf: [String: Int] = [:]
        for (index, link) in topology.links.enumerated() {
            for pod in link.pods { linkOf[pod] = index }
        }
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
    public func isolationReason(from source: Int, to destination: Int) -> String? {
        if expectsReach(from: source, to: destination) { return nil }
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
                    let expected: [ConnectionExpectation] = pods.indices.map { source in
                        guard hasGateway(source) else { return .unreachable }
                        return service.endpoints.isEmpty ? .rejected : .answered(by: service.endpoints)
                    }
                    targets.append(ServiceTarget(service: service.name, port: port, route: .clusterIP,
                                                 address: service.clusterIP, destinationPort: port.port,
                                                 endpoints: service.endpoints, expected: expected))
                case .endpoints:
                    for endpoint in endpointIndices {
                        let pod = pods[endpoint]
                        let expected: [ConnectionExpectation] = pods.indices.map { source in
                            expectsReach(from: source, to: endpoint) ? .answered(by: [pod.name]) : .unreachable
                        }
                        targets.append(ServiceTarget(service: service.name, port: port, route: .endpoint(pod.name),
                                                     address: pod.ip, destinationPort: port.targetPort,
                                                     endpoints: service.endpoints, expected: expected))
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
            case .clusterIP: target.endpoints
            case .endpoint(let pod): [pod]
            }
            for pod in pods {
                let listener = ListenerSpec(pod: pod, port: target.port.targetPort, protocol: target.port.protocol)
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
    }

    public let service: String
    public let port: ServicePort
    public let route: Route
    public let address: IPv4Address
    /// The port connected to: the service port via the ClusterIP, else the targetPort.
    public let destinationPort: Int
    /// The service's endpoint pods (all of them, also when probing one directly).
    public let endpoints: [String]
    /// Per pod, aligned with `ConnectivityExpectations.pods`.
    public let expected: [ConnectionExpectation]

    /// `web:80/TCP`; a UDP port says so, TCP is the default.
    public var label: String {
        "\(service):\(port.port)" + (port.protocol == .udp ? "/UDP" : "")
    }

    /// `10.96.0.1:80`, the address and port connected to.
    public var destination: String { "\(address):\(destinationPort)" }
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
}

/// A listener podnet runs for the duration of a check: inside `pod`, on `port`,
/// answering every connection (or datagram) with the pod's name.
public struct ListenerSpec: Hashable, Sendable {
    public let pod: String
    public let port: Int
    public let `protocol`: ServicePort.TransportProtocol

    public init(pod: String, port: Int, protocol: ServicePort.TransportProtocol) {
        self.pod = pod
        self.port = port
        self.protocol = `protocol`
    }
}
