import PodnetAddress

/// An IPVS virtual server (`ipvsadm -A -t 10.96.0.2:8080 -s rr`) with its real
/// servers, as kube-proxy's ipvs mode makes one per ClusterIP, port and protocol.
///
/// Identity: namespace, protocol, virtual address and port (what the kernel keys a
/// service on). Attributes an edit may change in place: the scheduler, the flags,
/// the persistence timeout, and the destinations (added, edited or deleted one by
/// one). Either family: an IPv6 virtual server (IPVS_SVC_ATTR_AF = AF_INET6) has
/// IPv6 real servers, as kube-proxy's proxier of each family makes them.
/// Firewall-mark services are not modelled: podnet makes none, and the reader
/// leaves them out.
///
/// Ownership: see `IPVSOwnership` (the cluster's own `kube-ipvs0` vouches for a
/// service; so does the `serviceCIDR`, unless another owner's device holds its address).
public struct IPVSService: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
        public var namespace: NamespaceRef
        public var `protocol`: IPVSProtocol
        public var address: IPAddress
        public var port: UInt16

        public init(namespace: NamespaceRef, protocol: IPVSProtocol, address: IPAddress, port: UInt16) {
            self.namespace = namespace
            self.protocol = `protocol`
            self.address = address
            self.port = port
        }

        public init(namespace: NamespaceRef, protocol: IPVSProtocol, address: IPv4Address, port: UInt16) {
            self.init(namespace: namespace, protocol: `protocol`, address: .v4(address), port: port)
        }

        public var family: AddressFamily { address.family }

        public static func < (lhs: ID, rhs: ID) -> Bool {
            (lhs.namespace, lhs.address, lhs.port, lhs.protocol.rawValue)
                < (rhs.namespace, rhs.address, rhs.port, rhs.protocol.rawValue)
        }

        /// `TCP 10.96.0.2:8080`, `TCP [fd00:96::1]:8080`, as `ipvsadm -Ln` lists them.
        public var description: String { "\(`protocol`.rawValue) \(address.joined(port: Int(port)))" }
    }

    /// kube-proxy's name for the dummy device holding a node's ClusterIPs, which
    /// makes them local addresses so that IPVS (on LOCAL_IN) sees packets to them.
    public static let clusterIPDevice = "kube-ipvs0"

    /// kube-proxy's default scheduler: round robin.
    public static let roundRobin = "rr"

    public var id: ID
    /// The scheduler's name (`rr`, `wrr`, `sh`, …); the kernel module `ip_vs_NAME`.
    public var scheduler: String
    public var flags: IPVSServiceFlags
    /// Seconds a persistent service keeps a client on its real server; 0 otherwise.
    public var timeout: UInt32
    /// The real servers, sorted by address and port, each at most once.
    public private(set) var destinations: [IPVSDestination]

    public init(id: ID, scheduler: String = IPVSService.roundRobin, flags: IPVSServiceFlags = [], timeout: UInt32 = 0,
                destinations: [IPVSDestination] = []) {
        self.id = id
        self.scheduler = scheduler
        self.flags = flags
        self.timeout = timeout
        self.destinations = Self.normalized(destinations)
    }

    /// Replaces the destinations (sorted; a later duplicate of an address and port wins).
    public mutating func setDestinations(_ destinations: [IPVSDestination]) {
        self.destinations = Self.normalized(destinations)
    }

    /// The destination at `id`, if the service has it.
    public func destination(_ id: IPVSDestination.ID) -> IPVSDestination? {
        destinations.first { $0.id == id }
    }

    private static func normalized(_ destinations: [IPVSDestination]) -> [IPVSDestination] {
        var byID: [IPVSDestination.ID: IPVSDestination] = [:]
        for destination in destinations { byID[destination.id] = destination }
        return byID.values.sorted { $0.id < $1.id }
    }
}

/// The transport protocols a ClusterIP port may have (TOPOLOGY.md `ports[].protocol`).
public enum IPVSProtocol: String, Hashable, Sendable, Codable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"

    /// The IP protocol number (IPPROTO_TCP, IPPROTO_UDP), as IPVS_SVC_ATTR_PROTOCOL carries it.
    public var number: UInt16 {
        switch self {
        case .tcp: return 6
        case .udp: return 17
        }
    }

    public init?(number: UInt16) {
        guard let match = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = match
    }
}

/// Service flags a user sets (IP_VS_SVC_F_*). The kernel's own `hashed` flag, which
/// every dumped service carries, is not one of them: the reader drops it.
public struct IPVSServiceFlags: OptionSet, Hashable, Sendable, Codable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IP_VS_SVC_F_PERSISTENT: a client sticks to its real server for `timeout` seconds
    /// (kube-proxy's `sessionAffinity: ClientIP`).
    public static let persistent = IPVSServiceFlags(rawValue: 0x0001)
    /// IP_VS_SVC_F_ONEPACKET: schedule every UDP datagram on its own.
    public static let onePacket = IPVSServiceFlags(rawValue: 0x0004)
    /// Scheduler-specific flags (IP_VS_SVC_F_SCHED1..3), e.g. `sh`'s fallback and port.
    public static let scheduler1 = IPVSServiceFlags(rawValue: 0x0008)
    public static let scheduler2 = IPVSServiceFlags(rawValue: 0x0010)
    public static let scheduler3 = IPVSServiceFlags(rawValue: 0x0020)

    /// IP_VS_SVC_F_HASHED: kernel-internal (the service is in the lookup table).
    public static let kernelHashed: UInt32 = 0x0002
    /// Every flag a user may set.
    public static let userSettable: IPVSServiceFlags = [.persistent, .onePacket, .scheduler1, .scheduler2, .scheduler3]
}
