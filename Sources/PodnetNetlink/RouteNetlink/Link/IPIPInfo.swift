import CMNL
import PodnetAddress

/// The ipip part of IFLA_LINKINFO (IFLA_INFO_DATA with IFLA_IPTUN_*). Unset fields are
/// not sent.
public struct IPIPInfo: Sendable, Equatable {
    /// Outer source address (IFLA_IPTUN_LOCAL).
    public var local: IPv4Address?
    /// Outer destination; unset for a point-to-multipoint tunnel (IFLA_IPTUN_REMOTE).
    public var remote: IPv4Address?
    /// The underlying device's index (IFLA_IPTUN_LINK).
    public var underlyingIndex: Int32?
    /// Outer TTL; 0 inherits (IFLA_IPTUN_TTL).
    public var ttl: UInt8?
    /// Path MTU discovery (IFLA_IPTUN_PMTUDISC); the kernel turns it on by default.
    public var pathMTUDiscovery: Bool?

    public init(local: IPv4Address? = nil, remote: IPv4Address? = nil, underlyingIndex: Int32? = nil,
                ttl: UInt8? = nil, pathMTUDiscovery: Bool? = nil) {
        self.local = local
        self.remote = remote
        self.underlyingIndex = underlyingIndex
        self.ttl = ttl
        self.pathMTUDiscovery = pathMTUDiscovery
    }

    func write(to writer: inout NetlinkWriter) {
        if let underlyingIndex { writer.put(IFLA_IPTUN_LINK, u32: UInt32(bitPattern: underlyingIndex)) }
        if let local { writer.put(IFLA_IPTUN_LOCAL, ipv4: local) }
        if let remote { writer.put(IFLA_IPTUN_REMOTE, ipv4: remote) }
        if let ttl { writer.put(IFLA_IPTUN_TTL, u8: ttl) }
        if let pathMTUDiscovery { writer.put(IFLA_IPTUN_PMTUDISC, u8: pathMTUDiscovery ? 1 : 0) }
    }

    init(decoding data: NetlinkAttributes) throws(NetlinkParseError) {
        underlyingIndex = try data[IFLA_IPTUN_LINK]?.u32().signed
        local = try data[IFLA_IPTUN_LOCAL]?.ipv4()
        remote = try data[IFLA_IPTUN_REMOTE]?.ipv4()
        ttl = try data[IFLA_IPTUN_TTL]?.u8()
        pathMTUDiscovery = try data[IFLA_IPTUN_PMTUDISC]?.u8().isNonZero
    }
}
