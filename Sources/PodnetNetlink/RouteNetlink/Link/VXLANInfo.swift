import CMNL
import PodnetAddress

/// The vxlan part of IFLA_LINKINFO (IFLA_INFO_DATA with IFLA_VXLAN_*). Unset fields
/// are not sent, leaving the kernel's defaults; dumps report what the kernel has.
public struct VXLANInfo: Sendable, Equatable {
    /// VNI (IFLA_VXLAN_ID).
    public var id: UInt32
    /// Source address of the encapsulation: IFLA_VXLAN_LOCAL, or IFLA_VXLAN_LOCAL6 for
    /// an IPv6 one (the device then sends and takes its packets over IPv6).
    public var local: IPAddress?
    /// Default remote or multicast group (IFLA_VXLAN_GROUP). flannel leaves it unset
    /// and programs one FDB entry per remote node instead.
    public var group: IPv4Address?
    /// UDP destination port, in host order here; on the wire it is big-endian
    /// (IFLA_VXLAN_PORT). The kernel's default is 8472, not IANA's 4789.
    public var port: UInt16?
    /// The underlying device's index (IFLA_VXLAN_LINK).
    public var underlyingIndex: Int32?
    /// Learn remote MACs from received packets (IFLA_VXLAN_LEARNING).
    public var learning: Bool?
    /// TTL of the outer header; 0 inherits (IFLA_VXLAN_TTL).
    public var ttl: UInt8?

    public init(id: UInt32, local: IPAddress? = nil, group: IPv4Address? = nil, port: UInt16? = nil,
                underlyingIndex: Int32? = nil, learning: Bool? = nil, ttl: UInt8? = nil) {
        self.id = id
        self.local = local
        self.group = group
        self.port = port
        self.underlyingIndex = underlyingIndex
        self.learning = learning
        self.ttl = ttl
    }

    func write(to writer: inout NetlinkWriter) {
        writer.put(IFLA_VXLAN_ID, u32: id)
        if let group { writer.put(IFLA_VXLAN_GROUP, ipv4: group) }
        switch local {
        case .v4(let address): writer.put(IFLA_VXLAN_LOCAL, ipv4: address)
        case .v6(let address): writer.put(IFLA_VXLAN_LOCAL6, ip: .v6(address))
        case nil: break
        }
        if let underlyingIndex { writer.put(IFLA_VXLAN_LINK, u32: UInt32(bitPattern: underlyingIndex)) }
        if let ttl { writer.put(IFLA_VXLAN_TTL, u8: ttl) }
        if let learning { writer.put(IFLA_VXLAN_LEARNING, u8: learning ? 1 : 0) }
        if let port { writer.put(IFLA_VXLAN_PORT, u16BigEndian: port) }
    }

    init(decoding data: NetlinkAttributes) throws(NetlinkParseError) {
        guard let id = try data[IFLA_VXLAN_ID]?.u32() else {
            throw .truncated(what: "IFLA_VXLAN_ID of a vxlan link", needed: 1, available: 0)
        }
        self.id = id
        if let local4 = data[IFLA_VXLAN_LOCAL] { local = .v4(try local4.ipv4()) } else { local = try data[IFLA_VXLAN_LOCAL6]?.ip() }
        group = try data[IFLA_VXLAN_GROUP]?.ipv4()
        port = try data[IFLA_VXLAN_PORT]?.u16BigEndian()
        underlyingIndex = try data[IFLA_VXLAN_LINK]?.u32().signed
        learning = try data[IFLA_VXLAN_LEARNING]?.u8().isNonZero
        ttl = try data[IFLA_VXLAN_TTL]?.u8()
    }
}

extension UInt32 {
    /// An ifindex carried as u32 on the wire, as the Int32 it is in the kernel.
    var signed: Int32 { Int32(bitPattern: self) }
}

extension UInt8 {
    var isNonZero: Bool { self != 0 }
}
