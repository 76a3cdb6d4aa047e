import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// `proxy.mode: ipvs` on one node, as kube-proxy's ipvs mode builds it:
///
/// - a dummy device `kube-ipvs0`, left down as kube-proxy leaves it, holding every
///   ClusterIP as a /32, so that the node takes packets to a ClusterIP as its own
///   (a local address answers even on a down device: the kernel adds its `local`
///   route whatever the device's state) and IPVS, hooked on LOCAL_IN, sees them;
/// - one IPVS virtual server per ClusterIP, port and protocol, round robin, whose
///   real servers are the endpoints' addresses and target ports, in masquerade
///   (NAT) mode, weight 1. A port without endpoints is a virtual server without
///   real servers (IPVS answers ICMP port unreachable), and is refused at once by a
///   filter rule (`IPVSRejection`: a TCP reset, since a same-kernel client drops
///   the ICMP and fails only on its SYN's retransmit, a second later);
/// - the sysctls IPVS needs (`IPVSSysctls`);
/// - the hairpin masquerade entries (`IPVSHairpin`): an endpoint on this node that
///   calls its own service is sent its own packet back, from its own address, which
///   it would drop as a martian, unless the node masquerades it.
///
/// The hairpin and rejection entries are netfilter rules, given as data with their
/// exact nft text (`IPVSNFTablesRuleset`) and iptables equivalents.
///
/// The same on every node (lab mode: each node's namespace; host mode: `.current`),
/// except the hairpin entries, which name this node's endpoints only: the endpoint
/// that calls itself is scheduled by its own node.
public struct IPVSProxyRenderer: Sendable {
    public let topology: Topology

    /// kube-proxy's name for the dummy device holding the ClusterIPs.
    public static let dummyDevice = IPVSService.clusterIPDevice

    public init(topology: Topology) { self.topology = topology }

    /// What node `node` needs, its objects placed in `namespace`. Nothing unless the
    /// topology's proxy mode is `ipvs` and it has services.
    public func objects(forNode node: Node, in namespace: NamespaceRef) -> IPVSProxyObjects {
        guard topology.proxy.mode == .ipvs else { return IPVSProxyObjects() }
        var objects = IPVSProxyObjects()
        if topology.network.masquerade { objects.podEgress = topology.clusterCIDR }
        guard !topology.services.isEmpty else { return objects }
        let dummy = PodnetKernelModel.Link.ID(namespace, Self.dummyDevice)
        objects.links = [PodnetKernelModel.Link(id: dummy, kind: .dummy, up: false,
                              mark: OwnershipMark(cluster: topology.name, role: "node/\(node.name)"))]
        let clusterIPs = Set(topology.services.map(\.clusterIP)).sorted()
        objects.addresses = clusterIPs.map { Address(link: dummy, address: IPv4Prefix(address: $0, length: 32)) }
        objects.sysctls = IPVSSysctls.sysctls(in: namespace)
        let pods = Dictionary(topology.pods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var services: [IPVSService.ID: IPVSService] = [:]
        var hairpins: Set<IPVSHairpin> = []
        var rejections: [IPVSRejection] = []
        for service in topology.services {
            let endpoints = service.endpoints.compactMap { pods[$0] }
            for port in service.ports {
                let proto = IPVSProtocol(port.protocol)
                let id = IPVSService.ID(namespace: namespace, protocol: proto, address: service.clusterIP, port: UInt16(port.port))
                let destinations = endpoints.map { IPVSDestination(address: $0.ip, port: UInt16(port.targetPort)) }
                services[id] = IPVSService(id: id, destinations: destinations)
                if endpoints.isEmpty { rejections.append(IPVSRejection(clusterIP: service.clusterIP, protocol: proto, port: UInt16(port.port))) }
                for endpoint in endpoints where endpoint.node == node.name {
                    hairpins.insert(IPVSHairpin(endpoint: endpoint.ip, protocol: proto, port: UInt16(port.targetPort)))
                }
            }
        }
        objects.services = services.values.sorted { $0.id < $1.id }
        objects.hairpins = hairpins.sorted()
        objects.rejections = rejections.sorted()
        return objects
    }
}

/// Everything `IPVSProxyRenderer` gives one node.
public struct IPVSProxyObjects: Sendable, Equatable {
    /// `kube-ipvs0` (dummy, down, marked as the node's).
    public var links: [PodnetKernelModel.Link] = []
    /// Each ClusterIP as a /32 on `kube-ipvs0`.
    public var addresses: [Address] = []
    public var sysctls: [Sysctl] = []
    /// The virtual servers, sorted by identity.
    public var services: [IPVSService] = []
    /// The local endpoints to masquerade when they reach themselves, sorted.
    public var hairpins: [IPVSHairpin] = []
    /// The ClusterIP ports without endpoints, to refuse at once, sorted.
    public var rejections: [IPVSRejection] = []
    /// `network.masquerade`: the cluster CIDR, whose traffic to anywhere else leaves
    /// with the node's address; nil without masquerade.
    public var podEgress: IPv4Prefix?

    public init() {}

    public var isEmpty: Bool {
        links.isEmpty && addresses.isEmpty && sysctls.isEmpty && services.isEmpty && hairpins.isEmpty && rejections.isEmpty
            && podEgress == nil
    }

    /// The node's netfilter rules (`nft -f` text) for the hairpin, rejection and
    /// masquerade entries.
    public func nftablesRuleset(table: String) -> String {
        IPVSNFTablesRuleset.text(table: table, hairpins: hairpins, rejections: rejections, podEgress: podEgress)
    }

    /// Adds everything to `state`: the link, addresses, sysctls, virtual servers, and
    /// the netfilter table (`nftTable`) of cluster `cluster` in `namespace`.
    public func insert(into state: inout KernelState, cluster: String, namespace: NamespaceRef) {
        for link in links { state.insert(link) }
        for address in addresses { state.insert(address) }
        for sysctl in sysctls { state.insert(sysctl) }
        for service in services { state.insert(service) }
        if let table = nftTable(cluster: cluster, in: namespace) { state.insert(table) }
    }
}

extension IPVSProtocol {
    init(_ protocol: ServicePort.TransportProtocol) {
        switch `protocol` {
        case .tcp: self = .tcp
        case .udp: self = .udp
        }
    }
}
