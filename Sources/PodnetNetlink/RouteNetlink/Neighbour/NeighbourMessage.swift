import CMNL
import PodnetAddress

/// A neighbour entry (family AF_INET or AF_INET6: `ip neigh`) or a bridge forwarding database
/// entry (family AF_BRIDGE: `bridge fdb`) as RTM_NEWNEIGH carries it: struct ndmsg and
/// NDA_* attributes.
public struct NeighbourMessage: Sendable, Equatable {
    // struct ndmsg
    public var family: UInt8 = UInt8(AF_INET)
    /// The link's index.
    public var index: Int32 = 0
    public var state: NeighbourState = []
    public var flags: NeighbourFlags = []
    /// ndm_type: RTN_* of the address; 0 in requests.
    public var type: UInt8 = 0

    /// NDA_DST: the neighbour's IP; for an FDB entry of a vxlan device, the remote VTEP.
    public var destination: IPAddress?
    /// NDA_LLADDR: the neighbour's MAC; for an FDB entry, the MAC forwarded.
    public var linkAddress: MACAddress?
    /// NDA_MASTER: the bridge owning an FDB entry (reported by dumps).
    public var master: Int32?
    /// NDA_VLAN.
    public var vlan: UInt16?
    /// NDA_VNI: for vxlan FDB entries, when it differs from the device's.
    public var vni: UInt32?
    /// NDA_PORT, host order (big-endian on the wire).
    public var port: UInt16?

    public init() {}

    /// `ip neigh replace IP lladdr MAC dev INDEX nud permanent`.
    public static func permanent(_ ip: IPAddress, at mac: MACAddress, onLink index: Int32) -> NeighbourMessage {
        var entry = NeighbourMessage()
        entry.family = ip.family.rawValue
        entry.index = index
        entry.state = .permanent
        entry.destination = ip
        entry.linkAddress = mac
        return entry
    }

    /// `bridge fdb append MAC dev INDEX dst REMOTE self permanent`: the device's own
    /// table (NTF_SELF), as flannel programs its vxlan device.
    public static func forwardingEntry(_ mac: MACAddress, remote: IPAddress?, onLink index: Int32) -> NeighbourMessage {
        var entry = NeighbourMessage()
        entry.family = UInt8(AF_BRIDGE)
        entry.index = index
        entry.state = .permanent
        entry.flags = .self
        entry.linkAddress = mac
        entry.destination = remote
        return entry
    }

    public var isForwardingEntry: Bool { family == UInt8(AF_BRIDGE) }

    static let headerSize = 12

    func write(to writer: inout NetlinkWriter) {
        writer.append(family)
        writer.append(UInt8(0))   // ndm_pad1
        writer.append(UInt16(0))  // ndm_pad2
        writer.append(index)
        writer.append(state.rawValue)
        writer.append(flags.rawValue)
        writer.append(type)
        // iproute2's orders: `ip neigh` sends the IP first, `bridge fdb` the MAC.
        if isForwardingEntry {
            if let linkAddress { writer.put(NDA_LLADDR, mac: linkAddress) }
            if let destination { writer.put(NDA_DST, ip: destination) }
        } else {
            if let destination { writer.put(NDA_DST, ip: destination) }
            if let linkAddress { writer.put(NDA_LLADDR, mac: linkAddress) }
        }
        if let master { writer.put(NDA_MASTER, u32: UInt32(bitPattern: master)) }
        if let vlan { writer.put(NDA_VLAN, u16: vlan) }
        if let port { writer.put(NDA_PORT, u16BigEndian: port) }
        if let vni { writer.put(NDA_VNI, u32: vni) }
    }

    public init(decoding message: NetlinkMessage) throws(NetlinkParseError) {
        var header = message.reader(what: "ndmsg")
        family = try header.read()
        _ = try header.read(UInt8.self)
        _ = try header.read(UInt16.self)
        index = try header.read()
        state = NeighbourState(rawValue: try header.read())
        flags = NeighbourFlags(rawValue: try header.read())
        type = try header.read()

        let attributes = try message.attributes(afterHeaderOfSize: Self.headerSize)
        // A bridge's own FDB entries may carry no NDA_DST; a VXLAN remote is of
        // the underlay's family, whatever the entry's.
        destination = try attributes[NDA_DST]?.ip()
        if let raw = attributes[NDA_LLADDR], raw.payload.count == 6 { linkAddress = try raw.mac() }
        master = try attributes[NDA_MASTER]?.u32().signed
        vlan = try attributes[NDA_VLAN]?.u16()
        vni = try attributes[NDA_VNI]?.u32()
        port = try attributes[NDA_PORT]?.u16BigEndian()
    }
}
