import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// `proxy.mode: ipvs` on one node, as kube-proxy's ipvs mode builds it:
///
/// - a dummy device `kube-ipvs0`, left down as kube-proxy leaves it, holding every
///   ClusterIP and external IP as a /32, so that the node takes packets to them as
///   its own (a local address answers even on a down device: the kernel adds its
///   `local` route whatever the device's state) and IPVS, hooked on LOCAL_IN, sees
///   them;
/// - one IPVS virtual server per ClusterIP, port and protocol, round robin, whose
///   real servers are the endpoints' addresses and target ports, in masquerade
///   (NAT) mode, weight 1. A port without endpoints is a virtual server without
///   real servers (IPVS answers ICMP port unreachable), and is refused at once by a
///   filter rule (`IPVSRejection`: a TCP reset, since a same-kernel client drops
///   the ICMP and fails only on its SYN's retransmit, a second later);
/// - traffic from outside (`IPVSExternalTraffic` says which real servers and rules
///   each policy gets): per port of a `NodePort` service a virtual server on the
///   node's own address at the nodePort (kube-proxy puts one on every local address;
///   a podnet node has one underlay address, not bound to `kube-ipvs0`), and per
///   external IP one on that address (bound to `kube-ipvs0`, as kube-proxy binds it);
/// - `sessionAffinity: ClientIP`: every virtual server of the service persistent
///   (`ipvsadm -p TIMEOUT`), as kube-proxy sets IP_VS_SVC_F_PERSISTENT and the timeout;
/// - the sysctls IPVS needs (`IPVSSysctls`);
/// - the hairpin masquerade entries (`IPVSHairpin`): an endpoint on this node that
///   calls its own service is sent its own packet back, from its own address, which
///   it would drop as a martian, unless the node masquerades it.
///
/// The hairpin, rejection, masquerade and drop entries are netfilter rules, given as
/// data with their exact nft text (`IPVSNFTablesRuleset`).
///
/// What differs between nodes: the hairpin entries (this node's endpoints only: the
/// endpoint that calls itself is scheduled by its own node), the NodePorts' address,
/// and, under a `Local` policy, the real servers (this node's endpoints only) and
/// whether the node drops the traffic (it has none of them).
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
        let families = topology.families.sorted()
        if topology.network.masquerade { objects.podEgress = families.compactMap(topology.clusterCIDR) }
        guard !topology.services.isEmpty else { return objects }
        let dummy = PodnetKernelModel.Link.ID(namespace, Self.dummyDevice)
        objects.links = [PodnetKernelModel.Link(id: dummy, kind: .dummy, up: false,
                              mark: OwnershipMark(cluster: topology.name, role: "node/\(node.name)"))]
        let held = Set(topology.services.flatMap { service in
            families.flatMap { family in [service.clusterIP(family)].compactMap { $0 } + service.externalIPs(family) }
        }).sorted()
        objects.addresses = held.map { Address(link: dummy, address: IPPrefix(address: $0, length: $0.family.addressBits)) }
        objects.sysctls = IPVSSysctls.sysctls(in: namespace)
        let pods = Dictionary(topology.pods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var entries = NodeEntries()
        // One pass per family, as kube-proxy runs one proxier per family: a service's
        // IPv6 virtual servers have its endpoints' IPv6 addresses as real servers.
        for family in families {
            for service in topology.services {
                let endpoints = service.endpoints.compactMap { pods[$0] }.filter { $0.ip(family) != nil }
                entries.add(service, endpoints: endpoints, family: family, node: node, namespace: namespace)
            }
        }
        objects.services = entries.services.values.sorted { $0.id < $1.id }
        objects.hairpins = entries.hairpins.sorted()
        objects.rejections = entries.rejections.sorted()
        objects.masqueradedExternal = entries.masqueraded.sorted()
        objects.noLocalEndpoints = entries.dropped.sorted()
        return objects
    }

    /// kube-proxy's persistence for `sessionAffinity: ClientIP`: IP_VS_SVC_F_PERSISTENT
    /// and the timeout in seconds; none otherwise.
    static func persistence(_ affinity: SessionAffinity) -> (IPVSServiceFlags, UInt32) {
        guard let seconds = affinity.timeoutSeconds else { return ([], 0) }
        return ([.persistent], UInt32(clamping: seconds))
    }
}

/// What one node's services come to, gathered service by service and family by family.
private struct NodeEntries {
    var services: [IPVSService.ID: IPVSService] = [:]
    var hairpins: Set<IPVSHairpin> = []
    var rejections: Set<IPVSRejection> = []
    var masqueraded: Set<IPVSVirtualAddress> = []
    var dropped: Set<IPVSVirtualAddress> = []

    /// `service`'s virtual servers of `family` on `node`, over `endpoints` (those with
    /// an address of the family), and the hairpin entries of its endpoints there.
    mutating func add(_ service: Service, endpoints: [Pod], family: AddressFamily, node: Node, namespace: NamespaceRef) {
        guard service.clusterIP(family) != nil else { return }
        let traffic = IPVSExternalTraffic(service: service, endpoints: endpoints, node: node.name)
        let (flags, timeout) = IPVSProxyRenderer.persistence(service.sessionAffinity)
        for port in service.ports {
            let proto = IPVSProtocol(port.protocol)
            let targetPort = UInt16(port.targetPort)
            for server in traffic.virtualServers(port: port, family: family, nodeAddress: node.address(family)) {
                let id = IPVSService.ID(namespace: namespace, protocol: proto, address: server.address, port: server.port)
                let destinations = server.endpoints.compactMap { $0.ip(family) }.map { IPVSDestination(address: $0, port: targetPort) }
                services[id] = IPVSService(id: id, flags: flags, timeout: timeout, destinations: destinations)
                let key = IPVSVirtualAddress(id)
                switch server.handling {
                case .balanced: break
                case .masqueraded: masqueraded.insert(key)
                case .refused: rejections.insert(IPVSRejection(address: key.address, protocol: proto, port: key.port))
                case .dropped: dropped.insert(key)
                }
            }
            for endpoint in endpoints where endpoint.node == node.name {
                if let address = endpoint.ip(family) { hairpins.insert(IPVSHairpin(endpoint: address, protocol: proto, port: targetPort)) }
            }
        }
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
    /// The virtual servers of services without endpoints, to refuse at once, sorted.
    public var rejections: [IPVSRejection] = []
    /// NodePorts and external-IP ports under `externalTrafficPolicy: Cluster`: their
    /// traffic is marked for masquerade (kube-proxy's KUBE-NODE-PORT and
    /// KUBE-EXTERNAL-IP sets), sorted.
    public var masqueradedExternal: [IPVSVirtualAddress] = []
    /// Virtual servers under a `Local` policy where this node has none of the
    /// service's endpoints: dropped, as kube-proxy drops them, sorted.
    public var noLocalEndpoints: [IPVSVirtualAddress] = []
    /// `network.masquerade`: the cluster CIDR of each family, whose traffic to
    /// anywhere else leaves with the node's address; empty without masquerade.
    public var podEgress: [IPPrefix] = []

    public init() {}

    public var isEmpty: Bool {
        links.isEmpty && addresses.isEmpty && sysctls.isEmpty && services.isEmpty && hairpins.isEmpty && rejections.isEmpty
            && masqueradedExternal.isEmpty && noLocalEndpoints.isEmpty && podEgress.isEmpty
    }

    /// The node's netfilter rules of `family` (`nft -f` text) for the hairpin,
    /// rejection and masquerade entries.
    public func nftablesRuleset(table: String, family: AddressFamily = .ipv4) -> String {
        IPVSNFTablesRuleset.text(table: table, family: family, hairpins: hairpins.filter { $0.endpoint.family == family },
                                 rejections: rejections.filter { $0.address.family == family },
                                 masqueraded: masqueradedExternal.filter { $0.address.family == family },
                                 dropped: noLocalEndpoints.filter { $0.address.family == family },
                                 podEgress: podEgress.first { $0.family == family })
    }

    /// The families the objects have anything of: those of the virtual servers and
    /// of `podEgress`. An IPv4-only cluster's are [IPv4].
    var families: [AddressFamily] {
        Set(services.map(\.id.family) + podEgress.map(\.family)).sorted()
    }

    /// Adds everything to `state`: the link, addresses, sysctls, virtual servers, and
    /// the netfilter tables (`nftTable`) of cluster `cluster` in `namespace`, one per family.
    public func insert(into state: inout KernelState, cluster: String, namespace: NamespaceRef) {
        for link in links { state.insert(link) }
        for address in addresses { state.insert(address) }
        for sysctl in sysctls { state.insert(sysctl) }
        for service in services { state.insert(service) }
        for family in families {
            if let table = nftTable(cluster: cluster, in: namespace, family: family) { state.insert(table) }
        }
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
