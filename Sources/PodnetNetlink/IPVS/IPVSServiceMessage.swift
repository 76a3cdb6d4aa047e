import CMNL
import Glibc
import PodnetAddress

/// The attributes of an IPVS service (linux/ip_vs.h, IPVS_SVC_ATTR_*), nested in
/// IPVS_CMD_ATTR_SERVICE. IPv4 and TCP/UDP/SCTP services by address and port;
/// firewall-mark and IPv6 services are parsed enough to be recognised and skipped.
public struct IPVSServiceMessage: Sendable, Equatable {
    public var addressFamily: UInt16
    /// IPPROTO_TCP, IPPROTO_UDP, … (0 for a firewall-mark service).
    public var protocolNumber: UInt16
    /// The virtual address; nil for a firewall-mark or IPv6 service.
    public var address: IPv4Address?
    /// Host order here; big-endian on the wire, as the kernel keeps it (__be16).
    public var port: UInt16
    /// Set for a firewall-mark service (`ipvsadm -f`), which has no address or port.
    public var firewallMark: UInt32?
    public var scheduler: String
    public var flags: UInt32
    /// Persistence timeout in seconds.
    public var timeout: UInt32
    /// Persistence netmask (big-endian on the wire); all ones for IPv4 by default.
    public var netmask: UInt32

    public init(protocolNumber: UInt16, address: IPv4Address, port: UInt16, scheduler: String = "rr",
                flags: UInt32 = 0, timeout: UInt32 = 0, netmask: UInt32 = .max) {
        addressFamily = UInt16(AF_INET)
        self.protocolNumber = protocolNumber
        self.address = address
        self.port = port
        firewallMark = nil
        self.scheduler = scheduler
        self.flags = flags
        self.timeout = timeout
        self.netmask = netmask
    }

    /// Bytes of the kernel's address field (union nf_inet_addr), which ipvsadm sends
    /// whole and the kernel dumps whole: the IPv4 address, then zeros.
    static let addressFieldSize = 16

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
                nest.attribute(IPVS_SVC_ATTR_ADDR) { field in
                    field.append((address?.value ?? 0).bigEndian)
                    field.append(contentsOf: repeatElement(0, count: Self.addressFieldSize - 4))
                }
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
            nest.put(IPVS_SVC_ATTR_NETMASK, u32: netmask.bigEndian)
        }
    }

    /// Decodes the IPVS_CMD_ATTR_SERVICE nest of a dumped IPVS_CMD_NEW_SERVICE.
    public init(decoding attributes: NetlinkAttributes) throws(NetlinkParseError) {
        addressFamily = try attributes[IPVS_SVC_ATTR_AF]?.u16() ?? 0
        protocolNumber = try attributes[IPVS_SVC_ATTR_PROTOCOL]?.u16() ?? 0
        firewallMark = try attributes[IPVS_SVC_ATTR_FWMARK]?.u32()
        address = nil
        if addressFamily == UInt16(AF_INET), let field = attributes[IPVS_SVC_ATTR_ADDR] {
            guard field.payload.count >= 4, let address = IPv4Address(bytes: field.payload.prefix(4)) else {
                throw .wrongAttributeSize(type: field.type, expected: 4, actual: field.payload.count)
            }
            self.address = address
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
        netmask = UInt32(bigEndian: try attributes[IPVS_SVC_ATTR_NETMASK]?.u32() ?? UInt32.max.bigEndian)
    }

    /// "TCP 10.96.0.2:8080", for request summaries.
    public var subject: String {
        if let firewallMark { return "fwmark \(firewallMark)" }
        let name = protocolNumber == 6 ? "TCP" : protocolNumber == 17 ? "UDP" : "protocol \(protocolNumber)"
        return "\(name) \(address?.description ?? "(no IPv4 address)"):\(port)"
    }
}
