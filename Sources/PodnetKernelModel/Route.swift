import PodnetAddress

/// An IPv4 route. Identity: namespace, table and destination (what `ip route
/// replace` keys on); the rest are attributes an update may change.
public struct Route: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable {
        public var namespace: NamespaceRef
        public var table: UInt32
        public var destination: IPv4Prefix

        public init(namespace: NamespaceRef, table: UInt32 = Route.mainTable, destination: IPv4Prefix) {
            self.namespace = namespace
            self.table = table
            self.destination = destination
        }

        public static func < (lhs: ID, rhs: ID) -> Bool {
            (lhs.namespace, lhs.table, lhs.destination.address, lhs.destination.length)
                < (rhs.namespace, rhs.table, rhs.destination.address, rhs.destination.length)
        }
    }

    public static let mainTable: UInt32 = 254
    /// RTPROT_BOOT, what `ip route add` uses.
    public static let protocolBoot: UInt8 = 3
    /// podnet's own route protocol number, for routes in namespaces it does not own
    /// (host mode); iproute2 shows it as `proto podnet` via rt_protos.d.
    public static let protocolPodnet: UInt8 = 211

    public var id: ID
    public var gateway: IPv4Address?
    /// The output interface (same namespace).
    public var device: String?
    /// RTNH_F_ONLINK: the gateway is reachable on the device although no prefix covers it.
    public var onlink: Bool
    public var `protocol`: UInt8

    public init(id: ID, gateway: IPv4Address? = nil, device: String? = nil, onlink: Bool = false, protocol: UInt8 = Route.protocolBoot) {
        self.id = id
        self.gateway = gateway
        self.device = device
        self.onlink = onlink
        self.protocol = `protocol`
    }
}
