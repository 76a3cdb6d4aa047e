import PodnetAddress

/// A real server of an IPVS service (`ipvsadm -a -t VIP:PORT -r 10.200.0.2:8080 -m`):
/// for podnet, an endpoint pod's address and target port, of the service's family.
public struct IPVSDestination: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
        public var address: IPAddress
        public var port: UInt16

        public init(address: IPAddress, port: UInt16) {
            self.address = address
            self.port = port
        }

        public init(address: IPv4Address, port: UInt16) {
            self.init(address: .v4(address), port: port)
        }

        public static func < (lhs: ID, rhs: ID) -> Bool { (lhs.address, lhs.port) < (rhs.address, rhs.port) }
        /// `10.200.0.2:8080`, `[fd00:200::2]:8080`, as ipvsadm takes and lists them.
        public var description: String { address.joined(port: Int(port)) }
    }

    public var id: ID
    /// Relative share of new connections (0: quiesced, none new).
    public var weight: Int32
    public var forwarding: IPVSForwardingMethod
    /// Connection thresholds (0: no limit), `ipvsadm -x` and `-y`.
    public var upperThreshold: UInt32
    public var lowerThreshold: UInt32

    public init(id: ID, weight: Int32 = 1, forwarding: IPVSForwardingMethod = .masquerade,
                upperThreshold: UInt32 = 0, lowerThreshold: UInt32 = 0) {
        self.id = id
        self.weight = weight
        self.forwarding = forwarding
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
    }

    public init(address: IPAddress, port: UInt16, weight: Int32 = 1, forwarding: IPVSForwardingMethod = .masquerade) {
        self.init(id: ID(address: address, port: port), weight: weight, forwarding: forwarding)
    }

    public init(address: IPv4Address, port: UInt16, weight: Int32 = 1, forwarding: IPVSForwardingMethod = .masquerade) {
        self.init(address: .v4(address), port: port, weight: weight, forwarding: forwarding)
    }
}

/// How IPVS forwards to a real server (IP_VS_CONN_F_FWD_MASK). kube-proxy uses
/// masquerade (NAT) only: the destination address and port are rewritten, and the
/// reply is rewritten back as it passes the node again.
public enum IPVSForwardingMethod: UInt32, Hashable, Sendable, Codable {
    /// IP_VS_CONN_F_MASQ, `ipvsadm -m`.
    case masquerade = 0
    /// IP_VS_CONN_F_LOCALNODE: the real server is this host.
    case local = 1
    /// IP_VS_CONN_F_TUNNEL, `ipvsadm -i`.
    case tunnel = 2
    /// IP_VS_CONN_F_DROUTE, `ipvsadm -g` (gatewaying).
    case directRoute = 3
    /// IP_VS_CONN_F_BYPASS.
    case bypass = 4
}
