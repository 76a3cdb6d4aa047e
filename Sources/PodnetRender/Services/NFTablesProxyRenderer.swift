import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Topology → the nftables table of one node (proxy mode `nftables`): ClusterIPs
/// load-balanced over their endpoints, and pod traffic leaving the cluster
/// masqueraded (`network.masquerade`). Laid out as kube-proxy's nftables mode:
///
/// - `nat-prerouting` and `nat-output` (hooks at dstnat) jump to `services`, which
///   looks `ip daddr . meta l4proto . th dport` up in the verdict map `service-ips`;
///   each element goes to the chain of one service port;
/// - a service port's chain marks traffic from outside the cluster CIDR for
///   masquerade, then picks an endpoint with `numgen random mod N vmap { … }`;
/// - an endpoint's chain marks hairpin traffic (the endpoint calling its own
///   service) for masquerade and DNATs to the endpoint;
/// - `nat-postrouting` jumps to `masquerading`, which masquerades marked packets
///   (and clears the mark), then, with `network.masquerade`, to `pod-egress`;
/// - after DNAT (`filter-*-post-dnat`, hooks at dstnat + 10) a new connection still
///   addressed to a ClusterIP was not load-balanced: the port has no endpoints
///   (`no-endpoint-services`) or is not a port of the service (`cluster-ips`), and it
///   is rejected at once. kube-proxy rejects in the forward and output hooks; podnet
///   rejects in prerouting too, because a lab node has no route for the service CIDR
///   and the packet would die in routing before reaching forward.
///
/// Every node gets the same table: endpoints on other nodes are reached through the
/// pod network.
public struct NFTablesProxyRenderer: Sendable {
    public let topology: Topology

    /// Each service's endpoint addresses (those of its endpoints that are pods of the
    /// topology, in order), by the service's index in `topology.services`: looked up
    /// once for the tables of every node and the record alike.
    private let endpointAddresses: [[IPv4Address]]

    public init(topology: Topology) {
        self.topology = topology
        let pods = Dictionary(topology.pods.map { ($0.name, $0.ip) }, uniquingKeysWith: { first, _ in first })
        endpointAddresses = topology.services.map { service in service.endpoints.compactMap { pods[$0] } }
    }

    /// The packet mark bit of traffic to masquerade (kube-proxy's default bit 14).
    public static let masqueradeMark: UInt32 = 0x4000

    /// The table node `node` should hold in `namespace`, or nil when it should hold
    /// none: the proxy mode is not nftables, or the cluster has neither services nor
    /// masquerade.
    public func table(forNode node: Node, in namespace: NamespaceRef) -> NFTable? {
        guard topology.proxy.mode == .nftables, !topology.services.isEmpty || topology.network.masquerade else {
            return nil
        }
        var table = NFTable(id: NFTable.ID(namespace: namespace, family: .ip,
                                           name: NFTablesProxyNames.table(cluster: topology.name)),
                            comment: "podnet cluster \(topology.name): services and masquerade")
        addSkeleton(to: &table)
        var elements = ServiceElements()
        for (index, service) in topology.services.enumerated() {
            add(footprint(of: service.name, clusterIP: service.clusterIP, ports: service.ports, endpoints: endpointAddresses[index]),
                to: &table, elements: &elements)
        }
        // Assigned once: a set keeps its elements sorted.
        table.sets[Names.serviceIPs]!.elements = elements.serviceIPs
        table.sets[Names.noEndpointServices]!.elements = elements.noEndpoints
        table.sets[Names.clusterIPs]!.elements = elements.clusterIPs.map { NFTSetElement(key: [.ipv4($0)]) }
        return table
    }

    /// The addresses of the endpoints of the service at `index` in `topology.services`.
    func endpointAddresses(ofServiceAt index: Int) -> [IPv4Address] { endpointAddresses[index] }

    // MARK: The fixed part

    private typealias Names = NFTablesProxyNames

    func addSkeleton(to table: inout NFTable) {
        let dstnat = NFTBaseChain.dstnatPriority
        table.insert(NFTChain(name: Names.natPrerouting, base: NFTBaseChain(type: .nat, hook: .prerouting, priority: dstnat),
                              rules: [NFTRule([.verdict(.jump(Names.services))])]))
        table.insert(NFTChain(name: Names.natOutput, base: NFTBaseChain(type: .nat, hook: .output, priority: dstnat),
                              rules: [NFTRule([.verdict(.jump(Names.services))])]))
        var postrouting = [NFTRule([.verdict(.jump(Names.masquerading))])]
        if topology.network.masquerade { postrouting.append(NFTRule([.verdict(.jump(Names.podEgress))])) }
        table.insert(NFTChain(name: Names.natPostrouting,
                              base: NFTBaseChain(type: .nat, hook: .postrouting, priority: NFTBaseChain.srcnatPriority),
                              rules: postrouting))

        let newConnectionChecks = [
            NFTRule(NFTExpression.conntrackState(NFTConntrackKey.stateNew) + [.verdict(.jump(Names.endpointsCheck))]),
            NFTRule(NFTExpression.conntrackState(NFTConntrackKey.stateNew) + [.verdict(.jump(Names.clusterIPsCheck))]),
        ]
        table.insert(NFTChain(name: Names.filterPreroutingPostDNAT,
                              base: NFTBaseChain(type: .filter, hook: .prerouting, priority: dstnat + 10),
                              rules: newConnectionChecks))
        table.insert(NFTChain(name: Names.filterOutputPostDNAT,
                              base: NFTBaseChain(type: .filter, hook: .output, priority: dstnat + 10),
                              rules: newConnectionChecks))

        let serviceTupleType: [NFTDataType] = [.ipv4Address, .inetProto, .inetService]
        table.insert(NFTSet(name: Names.serviceIPs, keyType: serviceTupleType, dataType: .verdict,
                            comment: "ClusterIP, protocol and port to the service port's chain"))
        table.insert(NFTSet(name: Names.noEndpointServices, keyType: serviceTupleType, dataType: .verdict,
                            comment: "service ports without endpoints"))
        table.insert(NFTSet(name: Names.clusterIPs, keyType: [.ipv4Address], comment: "every ClusterIP"))

        table.insert(NFTChain(name: Names.services, rules: [
            NFTRule(NFTExpression.serviceTuple + [NFTExpression.verdictMap(.named(Names.serviceIPs))]),
        ]))
        table.insert(NFTChain(name: Names.endpointsCheck, rules: [
            NFTRule(NFTExpression.serviceTuple + [NFTExpression.verdictMap(.named(Names.noEndpointServices))]),
        ]))
        // TCP is refused with a reset: an ICMP error reaching a client on the same
        // kernel while its connect() holds the socket lock is dropped
        // (LockDroppedIcmps), and the refusal would wait for the SYN's retransmission,
        // a second later (found in the full-kernel lane's IPVS tests). The protocol test
        // comes first, where nft puts the one it adds for a reset itself.
        let tcp = NFTExpression.layer4Protocol(equals: 6)
        let clusterIP = NFTExpression.ipAddressLoad(.destination) + [NFTExpression.setMembership(Names.clusterIPs)]
        table.insert(NFTChain(name: Names.clusterIPsCheck, rules: [
            NFTRule(tcp + clusterIP + [.reject(.tcpReset)], comment: "a port that is not one of the service's"),
            NFTRule(clusterIP + [.reject(.portUnreachable)], comment: "a port that is not one of the service's"),
        ]))
        table.insert(NFTChain(name: Names.reject, rules: [NFTRule(tcp + [.reject(.tcpReset)]), NFTRule([.reject(.portUnreachable)])]))

        let mark = Self.masqueradeMark
        table.insert(NFTChain(name: Names.markForMasquerade, rules: [NFTRule(NFTExpression.markSetting(mark))]))
        table.insert(NFTChain(name: Names.masquerading, rules: [
            NFTRule(NFTExpression.markClear(mark) + [.verdict(.return)]),
            NFTRule(NFTExpression.markToggling(mark)),
            NFTRule([.masquerade(flags: NFTNat.fullyRandom)]),
        ]))
        if topology.network.masquerade {
            // Pod traffic leaving the cluster CIDR (towards the underlay and beyond)
            // leaves with the node's address. Service traffic never gets here
            // masqueraded twice: marked packets were masqueraded (and accepted) in
            // `masquerading`, and DNATed ones are addressed to pods.
            let cluster = topology.clusterCIDR
            table.insert(NFTChain(name: Names.podEgress, rules: [
                NFTRule(NFTExpression.ipAddress(.source, in: cluster) + NFTExpression.ipAddress(.destination, in: cluster, negated: true)
                        + [.masquerade(flags: NFTNat.fullyRandom)]),
            ]))
        }
    }

    // MARK: Services

    /// What one service puts in the table: its chains, and its elements of the three sets.
    struct ServiceFootprint: Equatable {
        var chains: [NFTChain] = []
        var serviceIPs: [NFTSetElement] = []
        var noEndpoints: [NFTSetElement] = []
        var clusterIP: IPv4Address?
    }

    /// The elements of the three sets, gathered while the chains are made.
    private struct ServiceElements {
        var serviceIPs: [NFTSetElement] = []
        var noEndpoints: [NFTSetElement] = []
        var clusterIPs: Set<IPv4Address> = []
    }

    private func add(_ footprint: ServiceFootprint, to table: inout NFTable, elements: inout ServiceElements) {
        for chain in footprint.chains { table.insert(chain) }
        elements.serviceIPs += footprint.serviceIPs
        elements.noEndpoints += footprint.noEndpoints
        if let clusterIP = footprint.clusterIP { elements.clusterIPs.insert(clusterIP) }
    }

    /// A service's chains and elements, from what they depend on: its name, ClusterIP
    /// and ports, its endpoints' addresses, and the cluster CIDR (the renderer's).
    func footprint(of service: String, clusterIP: IPv4Address, ports: [ServicePort], endpoints: [IPv4Address]) -> ServiceFootprint {
        var footprint = ServiceFootprint()
        footprint.clusterIP = ports.isEmpty ? nil : clusterIP
        for port in ports {
            let key: [NFTValue] = [.ipv4(clusterIP), .inetProto(port.protocol.number), .inetService(UInt16(port.port))]
            guard !endpoints.isEmpty else {
                footprint.noEndpoints.append(NFTSetElement(key: key, data: .verdict(.goto(Names.reject))))
                continue
            }
            let serviceChain = Names.serviceChain(service: service, port: port)
            footprint.serviceIPs.append(NFTSetElement(key: key, data: .verdict(.goto(serviceChain))))

            var endpointChains: [String] = []
            for endpoint in endpoints {
                let name = Names.endpointChain(service: service, port: port, endpointIP: endpoint)
                endpointChains.append(name)
                footprint.chains.append(NFTChain(name: name, rules: [
                    // Hairpin: the endpoint calling its own service gets its answer from
                    // the gateway's address, not from itself.
                    NFTRule(NFTExpression.ipAddress(.source, equals: endpoint) + [.verdict(.jump(Names.markForMasquerade))]),
                    NFTRule(NFTExpression.layer4Protocol(equals: port.protocol.number)
                            + NFTExpression.destinationNAT(to: endpoint, port: UInt16(port.targetPort))),
                ]))
            }
            footprint.chains.append(NFTChain(name: serviceChain, rules: [
                // From outside the cluster CIDR (the node itself): masquerade, so that the
                // answer comes back through this node.
                NFTRule(NFTExpression.ipAddress(.source, in: topology.clusterCIDR, negated: true)
                        + [.verdict(.jump(Names.markForMasquerade))]),
                NFTRule(NFTExpression.randomChoice(endpointChains.map { .goto($0) })),
            ]))
        }
        return footprint
    }
}

extension ServicePort.TransportProtocol {
    /// IPPROTO_TCP, IPPROTO_UDP.
    var number: UInt8 {
        switch self {
        case .tcp: return 6
        case .udp: return 17
        }
    }
}

