import PodnetAddress

/// A route of either family. Identity: namespace, table and destination (what `ip route
/// replace` keys on); the rest are attributes an update may change.
public struct Route: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable {
        public var namespace: NamespaceRef
        public var table: UInt32
        /// The family is the destination's: an IPv4 and an IPv6 route to "the same"
        /// place (0.0.0.0/0 and ::/0) are two routes.
        public var destination: IPPrefix

        public init(namespace: NamespaceRef, table: UInt32 = Route.mainTable, destination: IPPrefix) {
            self.namespace = namespace
            self.table = table
            self.destination = destination
        }

        public init(namespace: NamespaceRef, table: UInt32 = Route.mainTable, destination: IPv4Prefix) {
            self.init(namespace: namespace, table: table, destination: .v4(destination))
        }

        public var family: AddressFamily { destination.family }

        public static func < (lhs: ID, rhs: ID) -> Bool {
            (lhs.namespace, lhs.table, lhs.destination) < (rhs.namespace, rhs.table, rhs.destination)
        }
    }

    public static let mainTable: UInt32 = 254
    /// RTPROT_BOOT, what `ip route add` uses.
    public static let protocolBoot: UInt8 = 3
    /// podnet's own route protocol number, for routes in namespaces it does not own
    /// (host mode); iproute2 shows it as `proto podnet` via rt_protos.d.
    public static let protocolPodnet: UInt8 = 211

    public var id: ID
    /// Of the destination's family (an IPv4 route via an IPv6 gateway, RFC 5549,
    /// is not something podnet makes).
    public var gateway: IPAddress?
    /// The output interface (same namespace).
    public var device: String?
    /// RTNH_F_ONLINK: the gateway is reachable on the device although no prefix covers it.
    public var onlink: Bool
    public var `protocol`: UInt8

    public init(id: ID, gateway: IPAddress? = nil, device: String? = nil, onlink: Bool = false, protocol: UInt8 = Route.protocolBoot) {
        self.id = id
        self.gateway = gateway
        self.device = device
        self.onlink = onlink
        self.protocol = `protocol`
    }

    public init(id: ID, gateway: IPv4Address?, device: String? = nil, onlink: Bool = false, protocol: UInt8 = Route.protocolBoot) {
        self.init(id: id, gateway: gateway.map(IPAddress.v4), device: device, onlink: onlink, protocol: `protocol`)
    }

    public var family: AddressFamily { id.family }
}
