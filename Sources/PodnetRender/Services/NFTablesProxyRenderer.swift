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
///
/// A dual-stack cluster gets a second table, `ip6 podnet-CLUSTER`, of the same layout
/// for the IPv6 ClusterIPs and endpoints, as kube-proxy's nftables mode runs one proxier
/// per family with a table each (`ip kube-proxy`, `ip6 kube-proxy`) rather than one
/// `inet` table: every rule then matches one header layout without `meta nfproto`
/// tests, a map's key type is one family's, and an IPv4-only cluster's table is the
/// same as before dual stack existed.
public struct NFTablesProxyRenderer: Sendable {
    public let topology: Topology

    /// The IPv4 inputs of the services that have an IPv4 ClusterIP (their endpoints
    /// those of the topology's pods, in order): looked up once for the tables of every
    /// node and the record alike.
    let inputs: [NFTablesServiceInputs]
    /// The IPv6 inputs of the services that have an IPv6 ClusterIP.
    let inputsV6: [NFTablesServiceInputs]

    public init(topology: Topology) {
        self.topology = topology
        let pods = Dictionary(topology.pods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        inputs = topology.services.compactMap { service in
            NFTablesServiceInputs(service: service, endpoints: service.endpoints.compactMap { pods[$0] }, family: .ipv4)
        }
        inputsV6 = topology.usesIPv6 ? topology.services.compactMap { service in
            NFTablesServiceInputs(service: service, endpoints: service.endpoints.compactMap { pods[$0] }, family: .ipv6)
        } : []
    }

    /// The packet mark bit of traffic to masquerade (kube-proxy's default bit 14).
    public static let masqueradeMark: UInt32 = 0x4000

    /// The table node `node` should hold in `namespace` for `family` (`ip` or `ip6`),
    /// or nil when it should hold none: the proxy mode is not nftables, the cluster
    /// lacks the family, or it has neither services (of the family) nor masquerade.
    public func table(forNode node: Node, in namespace: NamespaceRef, family: AddressFamily = .ipv4) -> NFTable? {
        let services = family == .ipv4 ? inputs : inputsV6
        guard topology.proxy.mode == .nftables, topology.clusterCIDR(family) != nil,
              !services.isEmpty || topology.network.masquerade else {
            return nil
        }
        var table = NFTable(id: NFTable.ID(namespace: namespace, family: NFTFamily(family),
                                           name: NFTablesProxyNames.table(cluster: topology.name)),
                            comment: "podnet cluster \(topology.name): services and masquerade")
        addSkeleton(to: &table, family: family)
        var elements = ServiceElements()
        for service in services {
            add(footprint(of: service, onNode: node.name), to: &table, elements: &elements)
        }
        // Assigned once: a set keeps its elements sorted.
        table.sets[Names.serviceIPs]!.elements = elements.serviceIPs
        table.sets[Names.noEndpointServices]!.elements = elements.noEndpoints
        table.sets[Names.serviceNodePorts]!.elements = elements.serviceNodePorts
        table.sets[Names.noEndpointNodePorts]!.elements = elements.noEndpointNodePorts
        table.sets[Names.clusterIPs]!.elements = elements.clusterIPs.map { NFTSetElement(key: [.address($0)]) }
        return table
    }


    // MARK: The fixed part

    private typealias Names = NFTablesProxyNames

    func addSkeleton(to table: inout NFTable, family: AddressFamily = .ipv4) {
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

        let serviceTupleType: [NFTDataType] = [.address(family), .inetProto, .inetService]
        table.insert(NFTSet(name: Names.serviceIPs, keyType: serviceTupleType, dataType: .verdict,
                            comment: "ClusterIP or external IP, protocol and port to the service port's chain"))
        table.insert(NFTSet(name: Names.noEndpointServices, keyType: serviceTupleType, dataType: .verdict,
                            comment: "service ports without endpoints"))
        table.insert(NFTSet(name: Names.serviceNodePorts, keyType: [.inetProto, .inetService], dataType: .verdict,
                            comment: "NodePort protocol and port to the service port's external chain"))
        table.insert(NFTSet(name: Names.noEndpointNodePorts, keyType: [.inetProto, .inetService], dataType: .verdict,
                            comment: "NodePorts without endpoints (for this node's traffic policy)"))
        table.insert(NFTSet(name: Names.clusterIPs, keyType: [.address(family)], comment: "every ClusterIP"))

        // NodePorts are served on every address of the node, as kube-proxy's default
        // (`fib daddr type local`), but not on 127.0.0.0/8 (::1): a DNAT of a loopback
        // destination would send the packet out with a martian source.
        let loopback = family == .ipv4 ? IPPrefix.v4(IPv4Prefix(address: IPv4Address(127, 0, 0, 0), length: 8))
                                       : IPPrefix.v6(IPv6Prefix(address: .loopback, length: 128))
        let nodePortAddress = NFTExpression.addressIsLocal(.destination)
            + NFTExpression.ipAddress(.destination, in: loopback, negated: true)
        let serviceTuple = NFTExpression.serviceTuple(family)
        table.insert(NFTChain(name: Names.services, rules: [
            NFTRule(serviceTuple + [NFTExpression.verdictMap(.named(Names.serviceIPs))]),
            NFTRule(nodePortAddress + NFTExpression.protocolAndPort + [NFTExpression.verdictMap(.named(Names.serviceNodePorts))]),
        ]))
        table.insert(NFTChain(name: Names.endpointsCheck, rules: [
            NFTRule(serviceTuple + [NFTExpression.verdictMap(.named(Names.noEndpointServices))]),
            NFTRule(nodePortAddress + NFTExpression.protocolAndPort + [NFTExpression.verdictMap(.named(Names.noEndpointNodePorts))]),
        ]))
        // TCP is refused with a reset: an ICMP error reaching a client on the same
        // kernel while its connect() holds the socket lock is dropped
        // (LockDroppedIcmps), and the refusal would wait for the SYN's retransmission,
        // a second later (found in the full-kernel lane's IPVS tests). The protocol test
        // comes first, where nft puts the one it adds for a reset itself.
        let tcp = NFTExpression.layer4Protocol(equals: 6)
        let clusterIP = NFTExpression.ipAddressLoad(.destination, family: family) + [NFTExpression.setMembership(Names.clusterIPs)]
        let unreachable = NFTReject.portUnreachable(family)
        table.insert(NFTChain(name: Names.clusterIPsCheck, rules: [
            NFTRule(tcp + clusterIP + [.reject(.tcpReset)], comment: "a port that is not one of the service's"),
            NFTRule(clusterIP + [.reject(unreachable)], comment: "a port that is not one of the service's"),
        ]))
        table.insert(NFTChain(name: Names.reject, rules: [NFTRule(tcp + [.reject(.tcpReset)]), NFTRule([.reject(unreachable)])]))

        let mark = Self.masqueradeMark
        table.insert(NFTChain(name: Names.markForMasquerade, rules: [NFTRule(NFTExpression.markSetting(mark))]))
        table.insert(NFTChain(name: Names.masquerading, rules: [
            NFTRule(NFTExpression.markClear(mark) + [.verdict(.return)]),
            NFTRule(NFTExpression.markToggling(mark)),
            NFTRule([.masquerade(flags: NFTNat.fullyRandom)]),
        ]))
        if topology.network.masquerade, let cluster = topology.clusterCIDR(family) {
            // Pod traffic leaving the cluster CIDR (towards the underlay and beyond)
            // leaves with the node's address. Service traffic never gets here
            // masqueraded twice: marked packets were masqueraded (and accepted) in
            // `masquerading`, and DNATed ones are addressed to pods.
            table.insert(NFTChain(name: Names.podEgress, rules: [
                NFTRule(NFTExpression.ipAddress(.source, in: cluster) + NFTExpression.ipAddress(.destination, in: cluster, negated: true)
                        + [.masquerade(flags: NFTNat.fullyRandom)]),
            ]))
        }
    }

    // MARK: Services

    private func add(_ footprint: ServiceFootprint, to table: inout NFTable, elements: inout ServiceElements) {
        for chain in footprint.chains { table.insert(chain) }
        for set in footprint.sets { table.insert(set) }
        elements.serviceIPs += footprint.serviceIPs
        elements.noEndpoints += footprint.noEndpoints
        elements.serviceNodePorts += footprint.serviceNodePorts
        elements.noEndpointNodePorts += footprint.noEndpointNodePorts
        if let clusterIP = footprint.clusterIP { elements.clusterIPs.insert(clusterIP) }
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

