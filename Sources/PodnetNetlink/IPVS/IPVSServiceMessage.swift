import CMNL
import Glibc
import PodnetAddress

/// The attributes of an IPVS service (linux/ip_vs.h, IPVS_SVC_ATTR_*), nested in
/// IPVS_CMD_ATTR_SERVICE. IPv4 and IPv6 TCP/UDP/SCTP services by address and port;
/// firewall-mark services are parsed enough to be recognised and skipped.
public struct IPVSServiceMessage: Sendable, Equatable {
    public var addressFamily: UInt16
    /// IPPROTO_TCP, IPPROTO_UDP, … (0 for a firewall-mark service).
    public var protocolNumber: UInt16
    /// The virtual address; nil for a firewall-mark service, or one of a family
    /// other than AF_INET and AF_INET6.
    public var address: IPAddress?
    /// Host order here; big-endian on the wire, as the kernel keeps it (__be16).
    public var port: UInt16
    /// Set for a firewall-mark service (`ipvsadm -f`), which has no address or port.
    public var firewallMark: UInt32?
    public var scheduler: String
    public var flags: UInt32
    /// Persistence timeout in seconds.
    public var timeout: UInt32
    /// Persistence netmask: for IPv4 a mask (big-endian on the wire), all ones by
    /// default; for IPv6 a prefix length, 128 by default, which the kernel takes as
    /// the raw 32-bit value and refuses outside 1...128 (ip_vs_add_service: `plen =
    /// (__force __u32) u->netmask`; ipvsadm and kube-proxy send 128).
    public var netmask: UInt32

    /// The default `netmask` of `family`: one client address per persistence template.
    public static func hostNetmask(_ family: AddressFamily) -> UInt32 { family == .ipv4 ? .max : 128 }

    public init(protocolNumber: UInt16, address: IPAddress, port: UInt16, scheduler: String = "rr",
                flags: UInt32 = 0, timeout: UInt32 = 0, netmask: UInt32? = nil) {
        addressFamily = UInt16(address.family.rawValue)
        self.protocolNumber = protocolNumber
        self.address = address
        self.port = port
        firewallMark = nil
        self.scheduler = scheduler
        self.flags = flags
        self.timeout = timeout
        self.netmask = netmask ?? Self.hostNetmask(address.family)
    }

    public init(protocolNumber: UInt16, address: IPv4Address, port: UInt16, scheduler: String = "rr",
                flags: UInt32 = 0, timeout: UInt32 = 0, netmask: UInt32 = .max) {
        self.init(protocolNumber: protocolNumber, address: .v4(address), port: port, scheduler: scheduler,
                  flags: flags, timeout: timeout, netmask: netmask)
    }

    /// Bytes of the kernel's address field (union nf_inet_addr), which ipvsadm sends
    /// whole and the kernel dumps whole: the IPv4 address then zeros, or the IPv6 address.
    static let addressFieldSize = 16

    /// An address as the field holds it, zero-padded to `addressFieldSize`.
    static func addressField(_ address: IPAddress?) -> [UInt8] {
        let bytes = address?.bytes ?? []
        return bytes + repeatElement(0, count: addressFieldSize - bytes.count)
    }

    /// The address of `family` (AF_INET: the first 4 bytes; AF_INET6: 16) in a
    /// dumped address field; nil for another family.
    static func address(family: UInt16, in field: NetlinkAttribute) throws(NetlinkParseError) -> IPAddress? {
        let size: Int
        switch family {
        case UInt16(AF_INET): size = 4
        case UInt16(AF_INET6): size = 16
        default: return nil
        }
        guard field.payload.count >= size, let address = IPAddress(bytes: field.payload.prefix(size)) else {
            throw .wrongAttributeSize(type: field.type, expected: size, actual: field.payload.count)
        }
        return address
    }

    /// The netmask as IPVS_SVC_ATTR_NETMASK carries it: a mask in network order, or
    /// IPv6's prefix length as it is.
    private var netmaskOnTheWire: UInt32 { addressFamily == UInt16(AF_INET6) ? netmask : netmask.bigEndian }

    /// The nest IPVS_CMD_ATTR_SERVICE. `full`: with scheduler, flags, timeout and
    /// netmask, which IPVS_CMD_NEW_SERVICE and IPVS_CMD_SET_SERVICE require; without,
    /// the identity alone, enough to name an existing service (delete it, act on
    /// its destinations, dump them). Attributes in ipvsadm's order.
    public func write(to writer: inout NetlinkWriter, full: Bool) {
        writer.nest(IPVS_CMD_ATTR_SERVICE, nestedFlag: true) { nest in
            nest.put(IPVS_SVC_ATTR_AF, u16: addressFamily)
            if let firewallMark {
                nest.put(IPVS_SVC_ATTR_FWMARK, u32: firewallMark)
            } else {
                nest.put(IPVS_SVC_ATTR_PROTOCOL, u16: protocolNumber)
                nest.attribute(IPVS_SVC_ATTR_ADDR) { field in field.append(contentsOf: Self.addressField(address)) }
                nest.put(IPVS_SVC_ATTR_PORT, u16BigEndian: port)
            }
            guard full else { return }
            nest.put(IPVS_SVC_ATTR_SCHED_NAME, string: scheduler)
            nest.attribute(IPVS_SVC_ATTR_FLAGS) { field in
                // struct ip_vs_flags: the flags, and the mask of those to set (all).
                field.append(flags)
                field.append(UInt32.max)
            }
            nest.put(IPVS_SVC_ATTR_TIMEOUT, u32: timeout)
            nest.put(IPVS_SVC_ATTR_NETMASK, u32: netmaskOnTheWire)
        }
    }

    /// Decodes the IPVS_CMD_ATTR_SERVICE nest of a dumped IPVS_CMD_NEW_SERVICE.
    public init(decoding attributes: NetlinkAttributes) throws(NetlinkParseError) {
        addressFamily = try attributes[IPVS_SVC_ATTR_AF]?.u16() ?? 0
        protocolNumber = try attributes[IPVS_SVC_ATTR_PROTOCOL]?.u16() ?? 0
        firewallMark = try attributes[IPVS_SVC_ATTR_FWMARK]?.u32()
        address = nil
        if firewallMark == nil, let field = attributes[IPVS_SVC_ATTR_ADDR] {
            address = try Self.address(family: addressFamily, in: field)
        }
        port = try attributes[IPVS_SVC_ATTR_PORT]?.u16BigEndian() ?? 0
        scheduler = attributes[IPVS_SVC_ATTR_SCHED_NAME]?.string() ?? ""
        if let field = attributes[IPVS_SVC_ATTR_FLAGS] {
            guard field.payload.count == 8 else { throw .wrongAttributeSize(type: field.type, expected: 8, actual: field.payload.count) }
            flags = field.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        } else {
            flags = 0
        }
        timeout = try attributes[IPVS_SVC_ATTR_TIMEOUT]?.u32() ?? 0
        let family = addressFamily == UInt16(AF_INET6) ? AddressFamily.ipv6 : .ipv4
        let wire = try attributes[IPVS_SVC_ATTR_NETMASK]?.u32()
        netmask = wire.map { family == .ipv6 ? $0 : UInt32(bigEndian: $0) } ?? Self.hostNetmask(family)
    }

    /// "TCP 10.96.0.2:8080", "TCP [fd00:96::1]:8080", for request summaries.
    public var subject: String {
        if let firewallMark { return "fwmark \(firewallMark)" }
        let name = protocolNumber == 6 ? "TCP" : protocolNumber == 17 ? "UDP" : "protocol \(protocolNumber)"
        return "\(name) \(Self.subject(address, port: port))"
    }
}

extension IPVSServiceMessage {
    /// `ADDRESS:PORT`, an IPv6 address in brackets as ipvsadm writes it.
    static func subject(_ address: IPAddress?, port: UInt16) -> String {
        switch address {
        case .v4(let address)?: return "\(address):\(port)"
        case .v6(let address)?: return "[\(address)]:\(port)"
        case nil: return "(no address):\(port)"
        }
    }
}
