import PodnetAddress
import PodnetTopology

/// Traffic from outside the cluster, as kube-proxy treats it: which endpoints must
/// answer each source at each NodePort and external IP, and which source address
/// they must see.
///
/// A client's connection arrives at the node it was sent to (a NodePort's node, or
/// the node that receives an external IP, `ExternalIPAnnouncement`):
/// - `externalTrafficPolicy: Cluster`: any endpoint answers, spread over all of
///   them, and sees an address of that node (masqueraded, so that the answer comes
///   back through it);
/// - `Local`: at a node with local endpoints, one of those answers and sees the
///   client's own address; at a node without, no connection is answered, and none is
///   refused (dropped);
/// - a service without endpoints refuses every connection, as at its ClusterIP.
///
/// A pod's connection: to its own node's NodePort, or to an external IP (which its
/// own node takes, as kube-proxy matches external IPs wherever they are sent from),
/// kube-proxy short-circuits it to any endpoint: under `Cluster` masqueraded to the
/// node, under `Local` with the pod's address kept (unless it answers itself). To
/// another node's NodePort it leaves its node first: with `network.masquerade` its
/// node's address is its source there, and that node treats it as a client's; without,
/// it arrives from the pod's address and is short-circuited there.
///
/// kube-proxy's IPVS mode has no such short-circuit: a `Local` virtual server holds
/// only the node's own endpoints, whoever connects, so there a pod reaches only its
/// node's endpoints (its own answering itself sees the node, hairpin), or nothing.
///
/// `sessionAffinity: ClientIP`: all of a source's connections reach one endpoint.
extension ConnectivityExpectations {
    /// Every NodePort on every node, then every external IP, per service and port, in
    /// declaration order; probed from every pod and every client. A service with an
    /// IPv6 ClusterIP is reached over IPv6 too, at each node's IPv6 underlay address:
    /// that family's NodePort, judged as IPv4's (kube-proxy runs one proxier per
    /// family, with the same rules).
    public func externalTargets() -> [ServiceTarget] {
        var targets: [ServiceTarget] = []
        for service in services where service.acceptsExternalTraffic {
            for port in service.ports {
                if service.type == .nodePort, let nodePort = port.nodePort {
                    for family in AddressFamily.allCases where service.clusterIP(family) != nil {
                        for node in nodes {
                            guard let address = node.address(family) else { continue }
                            targets.append(target(service, port, route: .nodePort(node: node.name), address: address,
                                                  destinationPort: nodePort))
                        }
                    }
                }
                guard let announcer = externalIPNodes[service.name] else { continue }
                for externalIP in service.externalIPs {
                    targets.append(target(service, port, route: .externalIP(node: announcer), address: externalIP,
                                          destinationPort: port.port))
                }
            }
        }
        return targets
    }

    private func target(_ service: Service, _ port: ServicePort, route: ServiceTarget.Route, address: IPAddress,
                        destinationPort: Int) -> ServiceTarget {
        let node = route.receivingNode!
        var expected: [ConnectionExpectation] = []
        var seen: [SourceExpectation] = []
        for (index, source) in sources.enumerated() {
            // A source without an address of the target's family cannot connect.
            guard source.address(address.family) != nil else {
                expected.append(.unreachable)
                seen.append(.sender)
                continue
            }
            let (expectation, sourceSeen) = external(service, at: node, route: route, from: source, index: index)
            expected.append(expectation)
            seen.append(sourceSeen)
        }
        return ServiceTarget(service: service.name, port: port, route: route, address: address, destinationPort: destinationPort,
                             endpoints: service.endpoints, expected: expected, sourcesSeen: seen,
                             oneEndpointPerSource: service.sessionAffinity != .none, policy: service.externalTrafficPolicy)
    }

    /// What one source must see at `node`.
    private func external(_ service: Service, at node: String, route: ServiceTarget.Route, from source: ProbeSource,
                          index: Int) -> (ConnectionExpectation, SourceExpectation) {
        let policy = service.externalTrafficPolicy
        // Where the proxy's decision is made, and who it takes the sender for.
        let decidingNode: String
        let arrivesAsPod: Bool
        switch source.kind {
        case .client:
            decidingNode = node
            arrivesAsPod = false
        case .pod:
            guard hasGateway(index), let own = source.node else { return (.unreachable, .sender) }
            if case .externalIP = route {
                decidingNode = own
                arrivesAsPod = true
            } else if own == node || !masqueradesPodEgress {
                decidingNode = node
                arrivesAsPod = true
            } else {
                // Masqueraded by its own node on the way: at `node` it is that node's connection.
                decidingNode = node
                arrivesAsPod = false
            }
        }
        if service.endpoints.isEmpty { return (.rejected, .node(decidingNode)) }
        switch (policy, arrivesAsPod) {
        case (.cluster, _):
            return (.answered(by: service.endpoints), .node(decidingNode))
        case (.local, true):
            guard shortCircuitsPodTraffic else {
                let local = endpoints(of: service, on: decidingNode)
                return (local.isEmpty ? .dropped : .answered(by: local), .senderUnlessHairpin(node: decidingNode))
            }
            return (.answered(by: service.endpoints), .senderUnlessHairpin(node: decidingNode))
        case (.local, false):
            let local = endpoints(of: service, on: decidingNode)
            let kept: SourceExpectation = source.kind == .client ? .sender : .node(source.node!)
            return (local.isEmpty ? .dropped : .answered(by: local), kept)
        }
    }

    /// Whether `seen` is a source address `expectation` allows for a connection from
    /// `source` answered by `answerer` (in `seen`'s family: the target's).
    public func allows(_ seen: IPAddress, _ expectation: SourceExpectation, from source: ProbeSource, answeredBy answerer: String) -> Bool {
        allowedSources(expectation, from: source, answeredBy: answerer, family: seen.family).contains(seen)
    }

    /// The addresses of `family` `expectation` allows.
    public func allowedSources(_ expectation: SourceExpectation, from source: ProbeSource, answeredBy answerer: String? = nil,
                               family: AddressFamily = .ipv4) -> [IPAddress] {
        let own = source.address(family).map { [$0] } ?? []
        func node(_ name: String) -> [IPAddress] { (nodeAddresses[name] ?? []).filter { $0.family == family } }
        switch expectation {
        case .node(let name):
            return node(name)
        case .sender:
            return own
        case .senderUnlessHairpin(let name):
            guard let answerer else { return own + node(name) }
            return answerer == source.name ? node(name) : own
        }
    }

    /// Who holds `address`: a node, a pod or a client; nil when nobody of the topology does.
    public func owner(of address: IPAddress) -> String? {
        if let source = sources.first(where: { $0.address(address.family) == address }) { return source.name }
        return nodes.first { node in
            (nodeAddresses[node.name] ?? AddressFamily.allCases.compactMap(node.address)).contains(address)
        }?.name
    }
}
