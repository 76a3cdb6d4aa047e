import PodnetAddress

/// A validated cluster description with every default applied and every address
/// allocated: what the render stage turns into kernel objects. Encoded as JSON by
/// `podnet validate --output json`.
public struct Topology: Codable, Equatable, Sendable {
    public var name: String
    /// The IPv4 cluster CIDR; nil in an IPv6-only cluster (`ipv6` then holds the only one).
    public var clusterCIDR: IPv4Prefix?
    public var serviceCIDR: IPv4Prefix?
    public var network: Network
    public var proxy: Proxy
    public var underlay: Underlay
    public var nodes: [Node]
    public var pods: [Pod]
    public var links: [Link]
    public var services: [Service]
    /// Lab mode: hosts outside the cluster, on the underlay (`clients[]`).
    public var clients: [Client]
    /// Every namespace, `default` included (declared or not).
    public var namespaces: [Namespace]
    public var networkPolicies: [NetworkPolicy]
    /// The IPv6 prefixes of a dual-stack cluster; nil for an IPv4-only one, whose
    /// JSON then has no `ipv6` key (docs/dual-stack.md).
    public var ipv6: ClusterIPv6?

    public init(name: String, clusterCIDR: IPv4Prefix?, serviceCIDR: IPv4Prefix?, network: Network, proxy: Proxy,
                underlay: Underlay, nodes: [Node], pods: [Pod], links: [Link], services: [Service], clients: [Client] = [],
                namespaces: [Namespace] = [Namespace(name: Namespace.defaultName)], networkPolicies: [NetworkPolicy] = [],
                ipv6: ClusterIPv6? = nil) {
        self.name = name
        self.clusterCIDR = clusterCIDR
        self.serviceCIDR = serviceCIDR
        self.network = network
        self.proxy = proxy
        self.underlay = underlay
        self.nodes = nodes
        self.pods = pods
        self.links = links
        self.services = services
        self.clients = clients
        self.namespaces = namespaces
        self.networkPolicies = networkPolicies
        self.ipv6 = ipv6
    }

    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }
    public func pod(named name: String) -> Pod? { pods.first { $0.name == name } }
    public func pods(on node: String) -> [Pod] { pods.filter { $0.node == node } }
}

public struct Network: Codable, Equatable, Sendable {
    public enum Backend: String, Codable, CaseIterable, Sendable {
        case hostGW = "host-gw"
        case ipip
        case vxlan
    }

    public var backend: Backend
    /// The underlay MTU.
    public var mtu: Int
    public var masquerade: Bool
    public var vxlan: VXLAN

    public init(backend: Backend = .vxlan, mtu: Int = 1500, masquerade: Bool = true, vxlan: VXLAN = VXLAN()) {
        self.backend = backend
        self.mtu = mtu
        self.masquerade = masquerade
        self.vxlan = vxlan
    }

    /// The MTU of pod interfaces and the tunnel device: the underlay MTU less the
    /// encapsulation overhead (20 bytes of outer IPv4 header for IP-in-IP; 50 for
    /// VXLAN: outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14).
    public var podMTU: Int {
        switch backend {
        case .hostGW: return mtu
        case .ipip: return mtu - 20
        case .vxlan: return mtu - 50
        }
    }

    /// `podMTU` over an underlay of IPv6 alone where `underlayIPv6Only`: VXLAN then
    /// takes 20 bytes more (a 40-byte outer IPv6 header, not IPv4's 20: RFC 7348).
    public func podMTU(underlayIPv6Only: Bool) -> Int {
        backend == .vxlan && underlayIPv6Only ? podMTU - 20 : podMTU
    }
}

public struct VXLAN: Codable, Equatable, Sendable {
    public enum Discovery: String, Codable, CaseIterable, Sendable {
        case `static`
        case multicast
    }

    public var vni: Int
    public var port: Int
    public var discovery: Discovery
    public var group: IPv4Address?

    public init(vni: Int = 1, port: Int = 4789, discovery: Discovery = .static, group: IPv4Address? = nil) {
        self.vni = vni
        self.port = port
        self.discovery = discovery
        self.group = group
    }
}

public struct Proxy: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, CaseIterable, Sendable {
        case nftables
        case iptables
        case ipvs
    }

    public var mode: Mode
    /// Where NodePorts are allocated from and must lie (kube-proxy's
    /// `--service-node-port-range`).
    public var nodePortRange: ClosedRange<Int>

    public static let defaultNodePortRange = 30000...32767

    public init(mode: Mode = .nftables, nodePortRange: ClosedRange<Int> = Proxy.defaultNodePortRange) {
        self.mode = mode
        self.nodePortRange = nodePortRange
    }
}

public struct Underlay: Codable, Equatable, Sendable {
    public static let defaultCIDR = IPv4Prefix("192.168.64.0/24")!

    /// The IPv4 underlay network; nil for an IPv6-only underlay (`ClusterIPv6.underlayCIDR` alone).
    public var cidr: IPv4Prefix?

    public init(cidr: IPv4Prefix? = Underlay.defaultCIDR) { self.cidr = cidr }
}

public struct Node: Codable, Equatable, Sendable {
    public var name: String
    /// The node's IPv4 underlay address; nil on an IPv6-only underlay.
    public var address: IPv4Address?
    /// The node's IPv4 pod CIDR; nil in an IPv6-only cluster.
    public var podCIDR: IPv4Prefix?
    /// The pod bridge's name, or nil for `bridge: none`.
    public var bridge: String?
    /// Host mode only: the uplink; nil means "the interface holding `address`".
    public var interface: String?
    /// The node's IPv6 underlay address; nil unless underlay.cidr has an IPv6 prefix.
    public var addressV6: IPv6Address?
    /// The node's IPv6 pod CIDR (a /64 unless written shorter); nil unless the
    /// cluster has an IPv6 clusterCIDR.
    public var podCIDRv6: IPv6Prefix?

    public init(name: String, address: IPv4Address?, podCIDR: IPv4Prefix?, bridge: String?, interface: String? = nil,
                addressV6: IPv6Address? = nil, podCIDRv6: IPv6Prefix? = nil) {
        self.name = name
        self.address = address
        self.podCIDR = podCIDR
        self.bridge = bridge
        self.interface = interface
        self.addressV6 = addressV6
        self.podCIDRv6 = podCIDRv6
    }

    /// The pods' IPv4 gateway: the first host of the pod CIDR, held by the bridge.
    public var gateway: IPv4Address? { podCIDR.map { $0.first.advanced(by: 1)! } }

    enum CodingKeys: String, CodingKey { case name, address, podCIDR, bridge, interface, gateway, addressV6, podCIDRv6, gatewayV6 }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(address, forKey: .address)
        try container.encodeIfPresent(podCIDR, forKey: .podCIDR)
        try container.encode(bridge ?? Node.noBridge, forKey: .bridge)
        try container.encodeIfPresent(interface, forKey: .interface)
        if bridge != nil { try container.encodeIfPresent(gateway, forKey: .gateway) }
        try container.encodeIfPresent(addressV6, forKey: .addressV6)
        try container.encodeIfPresent(podCIDRv6, forKey: .podCIDRv6)
        if bridge != nil { try container.encodeIfPresent(gatewayV6, forKey: .gatewayV6) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        address = try container.decodeIfPresent(IPv4Address.self, forKey: .address)
        podCIDR = try container.decodeIfPresent(IPv4Prefix.self, forKey: .podCIDR)
        let bridge = try container.decode(String.self, forKey: .bridge)
        self.bridge = bridge == Node.noBridge ? nil : bridge
        interface = try container.decodeIfPresent(String.self, forKey: .interface)
        addressV6 = try container.decodeIfPresent(IPv6Address.self, forKey: .addressV6)
        podCIDRv6 = try container.decodeIfPresent(IPv6Prefix.self, forKey: .podCIDRv6)
    }

    public static let noBridge = "none"
    public static let defaultBridge = "cni0"
}

public struct Pod: Codable, Equatable, Sendable {
    public var name: String
    public var node: String
    /// The pod's IPv4 address; nil in an IPv6-only cluster.
    public var ip: IPv4Address?
    public var labels: [String: String]
    /// The Kubernetes namespace: the scope of the pod's labels for selectors.
    public var namespace: String
    /// Named container ports, for policies that name a port.
    public var ports: [PodPort]
    /// The pod's IPv6 address; nil unless the cluster has an IPv6 clusterCIDR.
    public var ipv6: IPv6Address?

    public init(name: String, node: String, ip: IPv4Address?, labels: [String: String] = [:],
                namespace: String = Namespace.defaultName, ports: [PodPort] = [], ipv6: IPv6Address? = nil) {
        self.name = name
        self.node = node
        self.ip = ip
        self.labels = labels
        self.namespace = namespace
        self.ports = ports
        self.ipv6 = ipv6
    }
}

/// A direct veth pair between two pods of a `bridge: none` node (seed 003 §3.1).
public struct Link: Codable, Equatable, Sendable {
    public var pods: [String]

    public init(pods: [String]) { self.pods = pods }
}

public struct Service: Codable, Equatable, Sendable {
    public var name: String
    /// The IPv4 ClusterIP; nil for a service without the IPv4 family (`ipFamilies: [IPv6]`).
    public var clusterIP: IPv4Address?
    /// The label selector as written; nil when the service lists `endpoints`.
    public var selector: [String: String]?
    /// The endpoint pods, resolved from the selector or as listed, in pod
    /// declaration order.
    public var endpoints: [String]
    public var ports: [ServicePort]
    public var type: ServiceType
    /// Addresses outside the cluster and service CIDRs that every node also accepts
    /// the service's ports on.
    /// Of either family, each served by the proxy rules of its family (the service
    /// has it: validated).
    public var externalIPs: [IPAddress]
    /// For NodePort and external-IP traffic.
    public var externalTrafficPolicy: TrafficPolicy
    /// For ClusterIP traffic from pods and nodes.
    public var internalTrafficPolicy: TrafficPolicy
    public var sessionAffinity: SessionAffinity
    /// The Kubernetes namespace; a selector chooses pods of this namespace only.
    public var namespace: String
    /// The IPv6 ClusterIP, when `ipFamilies` holds IPv6.
    public var clusterIPv6: IPv6Address?
    /// The service's families, primary first; nil in a cluster without an IPv6
    /// serviceCIDR, where every service is IPv4 only, as it always was.
    public var ipFamilies: [AddressFamily]?

    public init(name: String, clusterIP: IPv4Address?, selector: [String: String]?, endpoints: [String], ports: [ServicePort],
                type: ServiceType = .clusterIP, externalIPs: [IPAddress] = [],
                externalTrafficPolicy: TrafficPolicy = .cluster, internalTrafficPolicy: TrafficPolicy = .cluster,
                sessionAffinity: SessionAffinity = .none, namespace: String = Namespace.defaultName,
                clusterIPv6: IPv6Address? = nil, ipFamilies: [AddressFamily]? = nil) {
        self.name = name
        self.clusterIP = clusterIP
        self.selector = selector
        self.endpoints = endpoints
        self.ports = ports
        self.type = type
        self.externalIPs = externalIPs
        self.externalTrafficPolicy = externalTrafficPolicy
        self.internalTrafficPolicy = internalTrafficPolicy
        self.sessionAffinity = sessionAffinity
        self.namespace = namespace
        self.clusterIPv6 = clusterIPv6
        self.ipFamilies = ipFamilies
    }

    /// Whether traffic from outside reaches this service at all: a NodePort, or an
    /// external IP.
    public var acceptsExternalTraffic: Bool { type == .nodePort || !externalIPs.isEmpty }
}

/// `services[].type`.
public enum ServiceType: String, Codable, CaseIterable, Sendable {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
}

/// `externalTrafficPolicy` and `internalTrafficPolicy`: `Cluster` spreads over every
/// endpoint; `Local` uses only the endpoints on the node the traffic arrives at (or,
/// internally, leaves from).
public enum TrafficPolicy: String, Codable, CaseIterable, Sendable {
    case cluster = "Cluster"
    case local = "Local"
}

/// `sessionAffinity`, with `sessionAffinityTimeoutSeconds` for `ClientIP`.
public enum SessionAffinity: Codable, Equatable, Hashable, Sendable {
    case none
    /// One client address keeps reaching the same endpoint for `timeoutSeconds`.
    case clientIP(timeoutSeconds: Int)

    /// Kubernetes' default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours).
    public static let defaultTimeoutSeconds = 10800

    public var timeoutSeconds: Int? {
        if case .clientIP(let timeout) = self { return timeout }
        return nil
    }
}

/// A lab host outside the cluster (`clients[]`): namespace `CLUSTER.NAME` (names are
/// unique among nodes, pods and clients) with
/// `eth0` on the underlay.
public struct Client: Codable, Equatable, Sendable {
    public var name: String
    /// The client's IPv4 underlay address; nil on an IPv6-only underlay.
    public var address: IPv4Address?
    /// The client's IPv6 underlay address; nil unless the underlay has an IPv6 prefix.
    public var addressV6: IPv6Address?

    public init(name: String, address: IPv4Address?, addressV6: IPv6Address? = nil) {
        self.name = name
        self.address = address
        self.addressV6 = addressV6
    }
}

public struct ServicePort: Codable, Equatable, Hashable, Sendable {
    public enum TransportProtocol: String, Codable, CaseIterable, Sendable {
        case tcp = "TCP"
        case udp = "UDP"
    }

    public var port: Int
    public var targetPort: Int
    public var `protocol`: TransportProtocol
    /// The port every node accepts the service on (`type: NodePort`); nil otherwise.
    public var nodePort: Int?

    public init(port: Int, targetPort: Int? = nil, protocol: TransportProtocol = .tcp, nodePort: Int? = nil) {
        self.port = port
        self.targetPort = targetPort ?? port
        self.protocol = `protocol`
        self.nodePort = nodePort
    }
}
