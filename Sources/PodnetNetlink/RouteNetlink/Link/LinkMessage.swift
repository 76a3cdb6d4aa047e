import CMNL
import PodnetAddress

/// A link as RTM_NEWLINK carries it, both ways: struct ifinfomsg and the IFLA_*
/// attributes podnet uses. Requests send only what is set; dumps fill in what the
/// kernel reports.
public struct LinkMessage: Sendable, Equatable {
    // struct ifinfomsg
    public var family: UInt8 = UInt8(AF_UNSPEC)
    /// ARPHRD_* (ifi_type); the kernel sets it.
    public var deviceType: UInt16 = 0
    /// ifindex; 0 in a creation request lets the kernel choose.
    public var index: Int32 = 0
    public var flags: InterfaceFlags = []
    /// Which bits of `flags` a request changes (ifi_change).
    public var change: InterfaceFlags = []

    /// IFLA_IFNAME.
    public var name: String?
    /// IFLA_IFALIAS, where podnet marks what it owns. The kernel ignores it when a
    /// link is created: set it with a `setLink` afterwards.
    public var alias: String?
    /// IFLA_PROP_LIST/IFLA_ALT_IFNAME, reported by dumps; changed with
    /// `addAlternativeName` and `deleteAlternativeName`, not by this message.
    public var alternativeNames: [String] = []
    /// IFLA_MTU.
    public var mtu: UInt32?
    /// IFLA_MASTER: the bridge this link is a port of; 0 in a request detaches it.
    public var master: Int32?
    /// IFLA_ADDRESS.
    public var address: MACAddress?
    /// IFLA_OPERSTATE, reported by dumps.
    public var operState: OperState?
    /// IFLA_LINK: the peer of a veth, the lower device of others; reported by dumps.
    public var link: Int32?
    /// IFLA_LINK_NETNSID: the namespace (by id, as this namespace knows it) where
    /// `link` lives; reported by dumps.
    public var linkNetnsID: Int32?
    /// IFLA_NET_NS_FD: in a request, the namespace to create the link in (for a veth
    /// peer: born there, never moved).
    public var namespaceFD: Int32?
    /// IFLA_LINKINFO: kind and kind-specific data.
    public var info: LinkInfo?
    /// IFLA_LINKINFO's port part: what the link is in its master; reported by dumps.
    public var port: LinkPortInfo?

    public init(index: Int32 = 0, name: String? = nil, info: LinkInfo? = nil) {
        self.index = index
        self.name = name
        self.info = info
    }

    public var isUp: Bool { flags.contains(.up) }

    /// Asks for the link to be brought up or down (IFF_UP in ifi_flags and ifi_change).
    public mutating func setUp(_ up: Bool) {
        if up { flags.insert(.up) } else { flags.remove(.up) }
        change.insert(.up)
    }

    static let headerSize = 16

    func write(to writer: inout NetlinkWriter) {
        writer.append(family)
        writer.append(UInt8(0))  // __ifi_pad
        writer.append(deviceType)
        writer.append(index)
        writer.append(flags.rawValue)
        writer.append(change.rawValue)
        if let name { writer.put(IFLA_IFNAME, string: name) }
        if let address { writer.put(IFLA_ADDRESS, mac: address) }
        if let mtu { writer.put(IFLA_MTU, u32: mtu) }
        if let master { writer.put(IFLA_MASTER, u32: UInt32(bitPattern: master)) }
        // Unterminated, as iproute2 sends it: the kernel stores nla_len bytes, so a
        // NUL would count against the 255-byte limit.
        if let alias { writer.put(IFLA_IFALIAS, unterminatedString: alias) }
        if let namespaceFD { writer.put(IFLA_NET_NS_FD, u32: UInt32(bitPattern: namespaceFD)) }
        if let info { writer.nest(IFLA_LINKINFO) { info.write(to: &$0) } }
    }

    public init(decoding message: NetlinkMessage) throws(NetlinkParseError) {
        var header = message.reader(what: "ifinfomsg")
        family = try header.read()
        _ = try header.read(UInt8.self)
        deviceType = try header.read()
        index = try header.read()
        flags = InterfaceFlags(rawValue: try header.read())
        change = InterfaceFlags(rawValue: try header.read())

        let attributes = try message.attributes(afterHeaderOfSize: Self.headerSize)
        name = attributes[IFLA_IFNAME]?.string()
        alias = attributes[IFLA_IFALIAS]?.string()
        if let list = try attributes[IFLA_PROP_LIST]?.nested() {
            alternativeNames = list.every(IFLA_ALT_IFNAME).map { $0.string() }
        }
        mtu = try attributes[IFLA_MTU]?.u32()
        master = try attributes[IFLA_MASTER]?.u32().signed
        // Links without a MAC (ipip: ARPHRD_TUNNEL, 4 bytes) have an IFLA_ADDRESS
        // of another size, which is not an error.
        if let raw = attributes[IFLA_ADDRESS], raw.payload.count == 6 { address = try raw.mac() }
        operState = try attributes[IFLA_OPERSTATE]?.u8().asOperState
        link = try attributes[IFLA_LINK]?.u32().signed
        linkNetnsID = try attributes[IFLA_LINK_NETNSID]?.i32()
        if let linkInfo = try attributes[IFLA_LINKINFO]?.nested() {
            (info, port) = try LinkInfo.decode(linkInfo)
        }
    }
}

private extension UInt8 {
    var asOperState: OperState { OperState(rawValue: self) }
}
