import PodnetAddress

/// A network interface, identified by its namespace and name.
public struct Link: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
        public var namespace: NamespaceRef
        public var name: String

        public init(_ namespace: NamespaceRef, _ name: String) {
            self.namespace = namespace
            self.name = name
        }

        public static func < (lhs: ID, rhs: ID) -> Bool { (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name) }
        public var description: String { "\(name)@\(namespace)" }
    }

    public var id: ID
    public var kind: LinkKind
    public var mtu: Int?
    public var up: Bool
    /// The bridge this link is a port of (same namespace), if any.
    public var master: String?
    /// Bridge ports only: hairpin mode (a frame may leave by the port it came in).
    public var hairpin: Bool?
    public var mark: OwnershipMark?
    /// Alternative names (IFLA_ALT_IFNAME), readable long names for short kernel ones.
    public var alternativeNames: [String]
    /// The link-layer address, where podnet decides it (a static VXLAN endpoint's,
    /// which the other nodes' neighbour and FDB entries name); nil: the kernel's choice.
    public var mac: MACAddress?

    public init(id: ID, kind: LinkKind, mtu: Int? = nil, up: Bool = true, master: String? = nil, hairpin: Bool? = nil,
                mark: OwnershipMark? = nil, alternativeNames: [String] = [], mac: MACAddress? = nil) {
        self.id = id
        self.kind = kind
        self.mtu = mtu
        self.up = up
        self.master = master
        self.hairpin = hairpin
        self.mark = mark
        self.alternativeNames = alternativeNames
        self.mac = mac
    }
}

/// What kind of interface a link is, with the attributes fixed at creation:
/// changing one of them means deleting and re-creating the link.
public enum LinkKind: Hashable, Sendable, Codable {
    case loopback
    case bridge
    /// One end of a veth pair; `peer` is the other end, possibly in another namespace.
    case veth(peer: Link.ID)
    case vxlan(VXLANDevice)
    case ipip(IPIPDevice)
    /// IPv6 in IPv4 (`sit`, 6in4): ipip's counterpart for a dual-stack cluster's IPv6 pods.
    case sit(IPIPDevice)
    case dummy
    /// A kind podnet does not create (e.g. a physical uplink), read from the kernel.
    case other(String)

    /// The kernel's name of the kind (IFLA_INFO_KIND), as `ip link add … type KIND` takes it.
    public var kernelName: String {
        switch self {
        case .loopback: return "loopback"
        case .bridge: return "bridge"
        case .veth: return "veth"
        case .vxlan: return "vxlan"
        case .ipip: return "ipip"
        case .sit: return "sit"
        case .dummy: return "dummy"
        case .other(let name): return name
        }
    }
}

public struct VXLANDevice: Hashable, Sendable, Codable {
    public var vni: Int
    public var port: Int
    /// The encapsulation's source: an IPv4 address, or an IPv6 one on an IPv6-only underlay.
    public var local: IPAddress?
    public var group: IPv4Address?
    /// The underlying device carrying the encapsulated packets.
    public var device: String?
    public var learning: Bool

    public init(vni: Int, port: Int, local: IPAddress?, group: IPv4Address?, device: String?, learning: Bool) {
        self.vni = vni
        self.port = port
        self.local = local
        self.group = group
        self.device = device
        self.learning = learning
    }
}

public struct IPIPDevice: Hashable, Sendable, Codable {
    public var local: IPv4Address?
    public var device: String?

    public init(local: IPv4Address?, device: String?) {
        self.local = local
        self.device = device
    }
}
