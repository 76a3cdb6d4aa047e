import CMNL
import Glibc
import PodnetAddress

/// The attributes of an IPVS real server (IPVS_DEST_ATTR_*), nested in
/// IPVS_CMD_ATTR_DEST.
public struct IPVSDestinationMessage: Sendable, Equatable {
    /// nil for a family other than AF_INET and AF_INET6.
    public var address: IPAddress?
    /// Host order here; big-endian on the wire.
    public var port: UInt16
    /// IP_VS_CONN_F_MASQ (0), _LOCALNODE, _TUNNEL, _DROUTE, _BYPASS.
    public var forwardingMethod: UInt32
    public var weight: Int32
    public var upperThreshold: UInt32
    public var lowerThreshold: UInt32
    /// IPVS_DEST_ATTR_ADDR_FAMILY (kernels since 4.9); the service's when absent.
    public var addressFamily: UInt16
    /// Dumps only: connections now being served.
    public var activeConnections: UInt32 = 0
    public var inactiveConnections: UInt32 = 0

    public init(address: IPAddress, port: UInt16, forwardingMethod: UInt32 = 0, weight: Int32 = 1,
                upperThreshold: UInt32 = 0, lowerThreshold: UInt32 = 0) {
        self.address = address
        self.port = port
        self.forwardingMethod = forwardingMethod
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        addressFamily = UInt16(address.family.rawValue)
    }

    public init(address: IPv4Address, port: UInt16, forwardingMethod: UInt32 = 0, weight: Int32 = 1,
                upperThreshold: UInt32 = 0, lowerThreshold: UInt32 = 0) {
        self.init(address: .v4(address), port: port, forwardingMethod: forwardingMethod, weight: weight,
                  upperThreshold: upperThreshold, lowerThreshold: lowerThreshold)
    }

    /// The nest IPVS_CMD_ATTR_DEST. `full`: with forwarding method, weight and
    /// thresholds, which IPVS_CMD_NEW_DEST and IPVS_CMD_SET_DEST require; without,
    /// the address and port alone (IPVS_CMD_DEL_DEST). In ipvsadm's order (1.31),
    /// less its tunnel attributes (type, port, flags), which only tunnel forwarding reads.
    public func write(to writer: inout NetlinkWriter, full: Bool) {
        writer.nest(IPVS_CMD_ATTR_DEST, nestedFlag: true) { nest in
            nest.put(IPVS_DEST_ATTR_ADDR_FAMILY, u16: addressFamily)
            nest.attribute(IPVS_DEST_ATTR_ADDR) { field in field.append(contentsOf: IPVSServiceMessage.addressField(address)) }
            nest.put(IPVS_DEST_ATTR_PORT, u16BigEndian: port)
            if full {
                nest.put(IPVS_DEST_ATTR_FWD_METHOD, u32: forwardingMethod)
                nest.put(IPVS_DEST_ATTR_WEIGHT, i32: weight)
                nest.put(IPVS_DEST_ATTR_U_THRESH, u32: upperThreshold)
                nest.put(IPVS_DEST_ATTR_L_THRESH, u32: lowerThreshold)
            }
        }
    }

    /// Decodes the IPVS_CMD_ATTR_DEST nest of a dumped IPVS_CMD_NEW_DEST, of a
    /// service of `serviceFamily` (the destinations' family on kernels before 4.9).
    public init(decoding attributes: NetlinkAttributes, serviceFamily: UInt16 = UInt16(AF_INET)) throws(NetlinkParseError) {
        addressFamily = try attributes[IPVS_DEST_ATTR_ADDR_FAMILY]?.u16() ?? serviceFamily
        address = nil
        if let field = attributes[IPVS_DEST_ATTR_ADDR] {
            address = try IPVSServiceMessage.address(family: addressFamily, in: field)
        }
        port = try attributes[IPVS_DEST_ATTR_PORT]?.u16BigEndian() ?? 0
        forwardingMethod = (try attributes[IPVS_DEST_ATTR_FWD_METHOD]?.u32() ?? 0) & UInt32(IP_VS_CONN_F_FWD_MASK)
        weight = try attributes[IPVS_DEST_ATTR_WEIGHT]?.i32() ?? 0
        upperThreshold = try attributes[IPVS_DEST_ATTR_U_THRESH]?.u32() ?? 0
        lowerThreshold = try attributes[IPVS_DEST_ATTR_L_THRESH]?.u32() ?? 0
        activeConnections = try attributes[IPVS_DEST_ATTR_ACTIVE_CONNS]?.u32() ?? 0
        inactiveConnections = try attributes[IPVS_DEST_ATTR_INACT_CONNS]?.u32() ?? 0
    }

    /// "10.200.0.2:8080", "[fd00:200::2]:8080".
    public var subject: String { IPVSServiceMessage.subject(address, port: port) }
}
