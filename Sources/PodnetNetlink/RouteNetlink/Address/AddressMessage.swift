import CMNL
import PodnetAddress

/// An interface address of either family as RTM_NEWADDR carries it: struct ifaddrmsg
/// and IFA_* attributes. The addresses are of `family` (4 or 16 bytes).
public struct AddressMessage: Sendable, Equatable {
    // struct ifaddrmsg
    /// AF_INET or AF_INET6; AF_UNSPEC in a dump request asks for both.
    public var family: UInt8 = UInt8(AF_INET)
    public var prefixLength: UInt8 = 0
    /// ifa_flags (IFA_F_*, low 8 bits; the kernel reports all of them in IFA_FLAGS).
    public var flags: UInt32 = 0
    public var scope: RouteScope = .universe
    /// The link's index.
    public var index: Int32 = 0

    /// IFA_LOCAL: the address itself (IPv4; IPv6 sends only IFA_ADDRESS unless point-to-point).
    public var local: IPAddress?
    /// IFA_ADDRESS: the same as IFA_LOCAL except on point-to-point links, where it is
    /// the peer.
    public var address: IPAddress?
    /// IFA_BROADCAST.
    public var broadcast: IPAddress?
    /// IFA_LABEL: the old interface alias ("eth0:1"); the kernel reports the link name.
    public var label: String?

    /// IFA_F_NODAD: an IPv6 address usable at once, without Duplicate Address
    /// Detection's wait (`ip addr add … nodad`).
    public static let noDAD: UInt32 = 0x02

    public init() {}

    /// `ip addr add PREFIX dev INDEX`: IFA_LOCAL and IFA_ADDRESS both the address, as
    /// iproute2 sends them in either family.
    public init(index: Int32, prefix: IPPrefix, scope: RouteScope = .universe, flags: UInt32 = 0) {
        self.index = index
        family = prefix.family.rawValue
        prefixLength = UInt8(prefix.length)
        local = prefix.address
        address = prefix.address
        self.scope = scope
        self.flags = flags
    }

    /// The address with its prefix length (IFA_LOCAL, else IFA_ADDRESS).
    public var prefix: IPPrefix? {
        guard let address = local ?? address else { return nil }
        return IPPrefix(address: address, length: min(Int(prefixLength), address.family.addressBits))
    }

    static let headerSize = 8

    func write(to writer: inout NetlinkWriter) {
        writer.append(family)
        writer.append(prefixLength)
        writer.append(UInt8(truncatingIfNeeded: flags))
        writer.append(scope.rawValue)
        writer.append(UInt32(bitPattern: index))
        if let local { writer.put(IFA_LOCAL, ip: local) }
        if let address { writer.put(IFA_ADDRESS, ip: address) }
        if let broadcast { writer.put(IFA_BROADCAST, ip: broadcast) }
        if let label { writer.put(IFA_LABEL, string: label) }
        // Flags beyond 8 bits (IFA_F_NOPREFIXROUTE…) only fit in IFA_FLAGS.
        if flags > UInt32(UInt8.max) { writer.put(IFA_FLAGS, u32: flags) }
    }

    public init(decoding message: NetlinkMessage) throws(NetlinkParseError) {
        var header = message.reader(what: "ifaddrmsg")
        family = try header.read()
        prefixLength = try header.read()
        flags = UInt32(try header.read(UInt8.self))
        scope = RouteScope(rawValue: try header.read())
        index = Int32(bitPattern: try header.read(UInt32.self))

        let attributes = try message.attributes(afterHeaderOfSize: Self.headerSize)
        local = try attributes[IFA_LOCAL]?.ip()
        address = try attributes[IFA_ADDRESS]?.ip()
        broadcast = try attributes[IFA_BROADCAST]?.ip()
        label = attributes[IFA_LABEL]?.string()
        if let allFlags = try attributes[IFA_FLAGS]?.u32() { flags = allFlags }
    }
}
