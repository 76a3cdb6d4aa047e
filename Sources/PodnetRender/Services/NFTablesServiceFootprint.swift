import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Everything one service's part of a node's nftables table is rendered from: what a
/// record line holds (`NFTablesProxyRenderer.line(_:buffer:)`), so that a table can be
/// rebuilt from its record without the topology it was rendered from.
///
/// One family's: a dual-stack service has inputs for the `ip` table (its IPv4 ClusterIP,
/// its endpoints' IPv4 addresses) and others for the `ip6` one.
struct NFTablesServiceInputs: Equatable, Sendable {
    struct Endpoint: Equatable, Sendable {
        var address: IPAddress
        /// The endpoint's node: only a `Local` policy needs it, and only then is it recorded.
        var node: String?
    }

    var name: String
    var clusterIP: IPAddress
    var ports: [ServicePort]
    var endpoints: [Endpoint]
    var externalIPs: [IPAddress] = []
    var externalTrafficPolicy: TrafficPolicy = .cluster
    var internalTrafficPolicy: TrafficPolicy = .cluster
    var affinityTimeoutSeconds: Int? = nil

    init(name: String, clusterIP: IPAddress, ports: [ServicePort], endpoints: [Endpoint], externalIPs: [IPAddress] = [],
         externalTrafficPolicy: TrafficPolicy = .cluster, internalTrafficPolicy: TrafficPolicy = .cluster,
         affinityTimeoutSeconds: Int? = nil) {
        self.name = name
        self.clusterIP = clusterIP
        self.ports = ports
        self.endpoints = endpoints
        self.externalIPs = externalIPs
        self.externalTrafficPolicy = externalTrafficPolicy
        self.internalTrafficPolicy = internalTrafficPolicy
        self.affinityTimeoutSeconds = affinityTimeoutSeconds
    }

    /// The inputs of `service` in `family`, or nil when the service lacks the family.
    /// Endpoints without an address of the family are not endpoints in it.
    init?(service: Service, endpoints: [Pod], family: AddressFamily) {
        guard let clusterIP = service.clusterIP(family) else { return nil }
        let external = service.acceptsExternalTraffic
        self.init(name: service.name, clusterIP: clusterIP,
                  ports: service.type == .nodePort ? service.ports : service.ports.map { var port = $0; port.nodePort = nil; return port },
                  endpoints: [], externalIPs: service.externalIPs(family),
                  // Kubernetes ignores externalTrafficPolicy where there is no external traffic.
                  externalTrafficPolicy: external ? service.externalTrafficPolicy : .cluster,
                  internalTrafficPolicy: service.internalTrafficPolicy,
                  affinityTimeoutSeconds: service.sessionAffinity.timeoutSeconds)
        let located = usesLocalEndpoints
        self.endpoints = endpoints.compactMap { pod in pod.ip(family).map { Endpoint(address: $0, node: located ? pod.node : nil) } }
    }

    var acceptsExternalTraffic: Bool { !externalIPs.isEmpty || ports.contains { $0.nodePort != nil } }

    /// Whether a node's table depends on which endpoints are on it.
    var usesLocalEndpoints: Bool {
        internalTrafficPolicy == .local || (externalTrafficPolicy == .local && acceptsExternalTraffic)
    }
}

/// What one service puts in a node's table: its chains and sets, and its elements of
/// the table's maps.
struct ServiceFootprint: Equatable {
    var chains: [NFTChain] = []
    /// Session affinity's sets, one per endpoint.
    var sets: [NFTSet] = []
    var serviceIPs: [NFTSetElement] = []
    var noEndpoints: [NFTSetElement] = []
    var serviceNodePorts: [NFTSetElement] = []
    var noEndpointNodePorts: [NFTSetElement] = []
    var clusterIP: IPAddress?
}

/// The elements of the table's maps and sets, gathered while the chains are made.
struct ServiceElements {
    var serviceIPs: [NFTSetElement] = []
    var noEndpoints: [NFTSetElement] = []
    var serviceNodePorts: [NFTSetElement] = []
    var noEndpointNodePorts: [NFTSetElement] = []
    var clusterIPs: Set<IPAddress> = []
}

extension NFTablesProxyRenderer {
    private typealias Names = NFTablesProxyNames

    /// A service's chains, sets and elements on node `node`, as kube-proxy's nftables
    /// mode lays them out:
    ///
    /// - `service-…` chooses among all endpoints (after marking traffic from outside the
    ///   cluster CIDR for masquerade), `local-…` among the node's own;
    /// - ClusterIP traffic goes to `service-…`, or with `internalTrafficPolicy: Local` to
    ///   `local-…` (dropped where the node has none, as kube-proxy does);
    /// - NodePort (`service-nodeports`) and external-IP (`service-ips`) traffic goes to
    ///   `external-…`: with `Cluster` it is marked for masquerade (the answer must come
    ///   back through this node) and goes to `service-…`; with `Local` pods' traffic
    ///   and the node's own go to `service-…` (kube-proxy's short-circuits: for them the
    ///   policy is meaningless, and the node's own is masqueraded), the rest to
    ///   `local-…` with its source kept — or, at a node without a local endpoint,
    ///   nowhere: it is dropped after DNAT would have happened (`no-endpoint-…`), not
    ///   rejected, so that a load balancer's health check sees the node as down;
    /// - `ClientIP` affinity: an endpoint's chain remembers the client in the endpoint's
    ///   `affinity-…` set (`update @set { ip saddr }`, timed by the set), and the choosing
    ///   chains send a remembered client to the same endpoint before choosing at random.
    ///
    /// The family is the ClusterIP's: the same layout in the `ip6` table, with IPv6
    /// addresses and the IPv6 cluster CIDR.
    func footprint(of service: NFTablesServiceInputs, onNode node: String) -> ServiceFootprint {
        let family = service.clusterIP.family
        // A family the topology lacks has no services to render (inputs exist per family the service has).
        let clusterCIDR = topology.clusterCIDR(family) ?? .everything(family)
        var footprint = ServiceFootprint()
        footprint.clusterIP = service.ports.isEmpty ? nil : service.clusterIP
        let local = service.usesLocalEndpoints ? service.endpoints.filter { $0.node == node } : []
        for port in service.ports {
            let proto = NFTValue.inetProto(port.protocol.number)
            let clusterKey: [NFTValue] = [.address(service.clusterIP), proto, .inetService(UInt16(port.port))]
            let externalKeys = service.externalIPs.map { [NFTValue.address($0), proto, .inetService(UInt16(port.port))] }
            let nodePortKey = port.nodePort.map { [proto, NFTValue.inetService(UInt16($0))] }
            guard !service.endpoints.isEmpty else {
                let reject = NFTData.verdict(.goto(Names.reject))
                for key in [clusterKey] + externalKeys { footprint.noEndpoints.append(NFTSetElement(key: key, data: reject)) }
                if let nodePortKey { footprint.noEndpointNodePorts.append(NFTSetElement(key: nodePortKey, data: reject)) }
                continue
            }
            let serviceChain = Names.serviceChain(service: service.name, port: port)
            let localChain = Names.localChain(service: service.name, port: port)

            var endpointChains: [(address: IPAddress, chain: String, affinity: String?)] = []
            for endpoint in service.endpoints {
                let chain = Names.endpointChain(service: service.name, port: port, endpointIP: endpoint.address)
                let affinity = service.affinityTimeoutSeconds.map { timeout in
                    let name = Names.affinitySet(service: service.name, port: port, endpointIP: endpoint.address)
                    footprint.sets.append(NFTSet(name: name, keyType: [.address(family)], flags: [.dynamic, .timeout],
                                                 timeoutMilliseconds: UInt64(timeout) * 1000))
                    return name
                }
                endpointChains.append((endpoint.address, chain, affinity))
                var rules = [
                    // Hairpin: the endpoint calling its own service gets its answer from
                    // the gateway's address, not from itself.
                    NFTRule(NFTExpression.ipAddress(.source, equals: endpoint.address) + [.verdict(.jump(Names.markForMasquerade))]),
                ]
                if let affinity { rules.append(NFTRule(NFTExpression.rememberSource(in: affinity, family: family))) }
                rules.append(NFTRule(NFTExpression.layer4Protocol(equals: port.protocol.number)
                                     + NFTExpression.destinationNAT(to: endpoint.address, port: UInt16(port.targetPort))))
                footprint.chains.append(NFTChain(name: chain, rules: rules))
            }
            func choosing(_ chosen: [(address: IPAddress, chain: String, affinity: String?)]) -> [NFTRule] {
                var rules: [NFTRule] = []
                for endpoint in chosen {
                    guard let affinity = endpoint.affinity else { continue }
                    rules.append(NFTRule(NFTExpression.ipAddressLoad(.source, family: family) + [NFTExpression.setMembership(affinity)]
                                         + [.verdict(.goto(endpoint.chain))]))
                }
                rules.append(NFTRule(NFTExpression.randomChoice(chosen.map { .goto($0.chain) })))
                return rules
            }
            footprint.chains.append(NFTChain(name: serviceChain, rules: [
                // From outside the cluster CIDR (the node itself): masquerade, so that the
                // answer comes back through this node.
                NFTRule(NFTExpression.ipAddress(.source, in: clusterCIDR, negated: true)
                        + [.verdict(.jump(Names.markForMasquerade))]),
            ] + choosing(endpointChains)))
            let localAddresses = Set(local.map(\.address))
            if !local.isEmpty {
                footprint.chains.append(NFTChain(name: localChain, rules: choosing(endpointChains.filter { localAddresses.contains($0.address) })))
            }

            // ClusterIP traffic.
            if service.internalTrafficPolicy == .local && local.isEmpty {
                footprint.noEndpoints.append(NFTSetElement(key: clusterKey, data: .verdict(.drop)))
            } else {
                let chain = service.internalTrafficPolicy == .local ? localChain : serviceChain
                footprint.serviceIPs.append(NFTSetElement(key: clusterKey, data: .verdict(.goto(chain))))
            }

            // Traffic from outside: NodePorts and external IPs.
            guard nodePortKey != nil || !externalKeys.isEmpty else { continue }
            let externalChain = Names.externalChain(service: service.name, port: port)
            let toService = NFTExpression.verdict(.goto(serviceChain))
            switch service.externalTrafficPolicy {
            case .cluster:
                footprint.chains.append(NFTChain(name: externalChain, rules: [
                    NFTRule([.verdict(.jump(Names.markForMasquerade))]),
                    NFTRule([toService]),
                ]))
            case .local:
                var rules = [
                    NFTRule(NFTExpression.ipAddress(.source, in: clusterCIDR) + [toService], comment: "pod traffic: any endpoint"),
                    NFTRule(NFTExpression.addressIsLocal(.source) + [.verdict(.jump(Names.markForMasquerade))],
                            comment: "the node's own traffic: masquerade, any endpoint"),
                    NFTRule(NFTExpression.addressIsLocal(.source) + [toService]),
                ]
                if !local.isEmpty { rules.append(NFTRule([.verdict(.goto(localChain))])) }
                footprint.chains.append(NFTChain(name: externalChain, rules: rules))
            }
            let toExternal = NFTData.verdict(.goto(externalChain))
            for key in externalKeys { footprint.serviceIPs.append(NFTSetElement(key: key, data: toExternal)) }
            if let nodePortKey { footprint.serviceNodePorts.append(NFTSetElement(key: nodePortKey, data: toExternal)) }
            if service.externalTrafficPolicy == .local && local.isEmpty {
                // What the external chain let through unchanged is dropped after DNAT.
                for key in externalKeys { footprint.noEndpoints.append(NFTSetElement(key: key, data: .verdict(.drop))) }
                if let nodePortKey { footprint.noEndpointNodePorts.append(NFTSetElement(key: nodePortKey, data: .verdict(.drop))) }
            }
        }
        return footprint
    }
}

extension NFTablesServiceInputs {
    /// An IPv4 service's inputs, as most of them are.
    init(name: String, clusterIP: IPv4Address, ports: [ServicePort], endpoints: [Endpoint], externalIPs: [IPv4Address] = [],
         externalTrafficPolicy: TrafficPolicy = .cluster, internalTrafficPolicy: TrafficPolicy = .cluster,
         affinityTimeoutSeconds: Int? = nil) {
        self.init(name: name, clusterIP: .v4(clusterIP), ports: ports, endpoints: endpoints, externalIPs: externalIPs.map(IPAddress.v4),
                  externalTrafficPolicy: externalTrafficPolicy, internalTrafficPolicy: internalTrafficPolicy,
                  affinityTimeoutSeconds: affinityTimeoutSeconds)
    }
}

extension NFTablesServiceInputs.Endpoint {
    init(address: IPv4Address, node: String? = nil) {
        self.init(address: .v4(address), node: node)
    }
}
