import CMNL
import PodnetAddress

/// A route of either family as RTM_NEWROUTE carries it: struct rtmsg and RTA_*
/// attributes, whose addresses are of `family` (4 or 16 bytes).
public struct RouteMessage: Sendable, Equatable {
    // struct rtmsg
    /// AF_INET or AF_INET6; AF_UNSPEC in a dump request asks for every family.
    public var family: UInt8 = UInt8(AF_INET)
    public var destinationLength: UInt8 = 0
    public var sourceLength: UInt8 = 0
    public var tos: UInt8 = 0
    /// rtm_table or RTA_TABLE, whichever the id needs.
    public var table: RouteTable = .main
    public var `protocol`: RouteProtocol = .boot
    public var scope: RouteScope = .universe
    public var type: RouteType = .unicast
    public var flags: RouteFlags = []

    /// RTA_DST; nil with length 0 is the default route.
    public var destination: IPAddress?
    /// RTA_GATEWAY.
    public var gateway: IPAddress?
    /// RTA_OIF: the output device's index.
    public var outputInterface: Int32?
    /// RTA_PRIORITY: the metric.
    public var priority: UInt32?
    /// RTA_PREFSRC.
    public var preferredSource: IPAddress?

    public init() {}

    /// A route to `destination`, through `gateway` if given (else directly on the
    /// link, scope link), out of `outputInterface`.
    public init(destination: IPPrefix, gateway: IPAddress? = nil, outputInterface: Int32? = nil,
                table: RouteTable = .main, protocol: RouteProtocol = .boot, flags: RouteFlags = []) {
        family = destination.family.rawValue
        self.destination = destination.length == 0 ? nil : destination.address
        destinationLength = UInt8(destination.length)
        self.gateway = gateway
        self.outputInterface = outputInterface
        self.table = table
        self.protocol = `protocol`
        // iproute2's default: an IPv4 route without a gateway is on-link; the kernel
        // keeps every IPv6 route at universe scope (and reports it so).
        scope = gateway == nil && destination.family == .ipv4 ? .link : .universe
        self.flags = flags
    }

    /// The message's family; IPv4 for anything but AF_INET6 (a reply always says one).
    public var addressFamily: AddressFamily { family == UInt8(AF_INET6) ? .ipv6 : .ipv4 }

    /// RTA_DST with its length; 0.0.0.0/0 or ::/0 for the default route.
    public var destinationPrefix: IPPrefix {
        guard let destination else { return .everything(addressFamily) }
        return IPPrefix(address: destination, length: min(Int(destinationLength), destination.family.addressBits))
    }

    static let headerSize = 12

    func write(to writer: inout NetlinkWriter) {
        writer.append(family)
        writer.append(destinationLength)
        writer.append(sourceLength)
        writer.append(tos)
        // Ids beyond 8 bits: rtm_table says RT_TABLE_UNSPEC and RTA_TABLE carries it,
        // as iproute2 writes it.
        let fitsHeader = table.rawValue < 256
        writer.append(fitsHeader ? UInt8(table.rawValue) : UInt8(0))
        writer.append(self.protocol.rawValue)
        writer.append(scope.rawValue)
        writer.append(type.rawValue)
        writer.append(flags.rawValue)
        // iproute2's order, so that captures of `ip route add` compare byte for byte.
        if let destination { writer.put(RTA_DST.rawValue, ip: destination) }
        if let gateway { writer.put(RTA_GATEWAY.rawValue, ip: gateway) }
        if !fitsHeader { writer.put(RTA_TABLE.rawValue, u32: table.rawValue) }
        if let outputInterface { writer.put(RTA_OIF.rawValue, u32: UInt32(bitPattern: outputInterface)) }
        if let priority { writer.put(RTA_PRIORITY.rawValue, u32: priority) }
        if let preferredSource { writer.put(RTA_PREFSRC.rawValue, ip: preferredSource) }
    }

    public init(decoding message: NetlinkMessage) throws(NetlinkParseError) {
        var header = message.reader(what: "rtmsg")
        family = try header.read()
        destinationLength = try header.read()
        sourceLength = try header.read()
        tos = try header.read()
        let headerTable: UInt8 = try header.read()
        self.protocol = RouteProtocol(rawValue: try header.read())
        scope = RouteScope(rawValue: try header.read())
        type = RouteType(rawValue: try header.read())
        flags = RouteFlags(rawValue: try header.read())

        let attributes = try message.attributes(afterHeaderOfSize: Self.headerSize)
        table = RouteTable(rawValue: try attributes[RTA_TABLE.rawValue]?.u32() ?? UInt32(headerTable))
        destination = try attributes[RTA_DST.rawValue]?.ip()
        gateway = try attributes[RTA_GATEWAY.rawValue]?.ip()
        outputInterface = try attributes[RTA_OIF.rawValue]?.u32().signed
        priority = try attributes[RTA_PRIORITY.rawValue]?.u32()
        preferredSource = try attributes[RTA_PREFSRC.rawValue]?.ip()
    }
}
