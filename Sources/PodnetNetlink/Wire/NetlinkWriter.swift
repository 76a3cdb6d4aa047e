import PodnetAddress

/// Appends netlink structures to one growable byte buffer: message headers, family
/// headers, attributes and nests. Lengths are patched in and padding added here and
/// nowhere else. Integers go in host byte order, as netlink wants, except where a
/// method says big-endian.
public struct NetlinkWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    /// Forgets the contents but keeps the storage, for a buffer reused per datagram.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    // MARK: Raw fields (family headers such as ifinfomsg)

    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    public mutating func append(contentsOf data: some Collection<UInt8>) {
        bytes.append(contentsOf: data)
    }

    /// Pads with zeros up to the next 4-byte boundary.
    mutating func pad() {
        let padding = NetlinkAlignment.aligned(bytes.count) - bytes.count
        if padding > 0 { bytes.append(contentsOf: repeatElement(0, count: padding)) }
    }

    private mutating func patchUInt16(_ value: UInt16, at offset: Int) {
        withUnsafeBytes(of: value) { raw in
            for i in 0..<2 { bytes[offset + i] = raw[i] }
        }
    }

    private mutating func patchUInt32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }

    // MARK: Messages

    /// One message: nlmsghdr, then whatever `body` appends, padded; nlmsg_len is the
    /// padded length, as the kernel and iproute2 write it.
    public mutating func message(
        type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32,
        _ body: (inout NetlinkWriter) throws -> Void
    ) rethrows {
        let start = bytes.count
        append(UInt32(0))  // nlmsg_len, patched below
        append(type)
        append(flags)
        append(sequence)
        append(portID)
        try body(&self)
        pad()
        patchUInt32(UInt32(bytes.count - start), at: start)
    }

    // MARK: Attributes

    /// One attribute: nlattr, then whatever `payload` appends, then padding. nla_len
    /// counts the header and the payload without the trailing padding (for a nest, the
    /// children with their padding), exactly as nla_put and nla_nest_end do.
    ///
    /// An attribute longer than 65535 bytes cannot be expressed; that is a programming
    /// error (every attribute podnet writes is bounded far below), so it traps.
    public mutating func attribute(
        _ type: some BinaryInteger, nestedFlag: Bool = false,
        _ payload: (inout NetlinkWriter) throws -> Void
    ) rethrows {
        pad()
        let start = bytes.count
        append(UInt16(0))  // nla_len, patched below
        append(UInt16(type) | (nestedFlag ? NetlinkAttribute.nestedFlag : 0))
        try payload(&self)
        let length = bytes.count - start
        precondition(length <= Int(UInt16.max), "netlink attribute \(type) is \(length) bytes long")
        patchUInt16(UInt16(length), at: start)
        pad()
    }

    /// A nest: attributes written by `body` inside attribute `type`. `nestedFlag` sets
    /// NLA_F_NESTED, which some kernel parsers require (IFLA_PROTINFO for bridge ports,
    /// IFLA_PROP_LIST) and iproute2 omits elsewhere.
    public mutating func nest(
        _ type: some BinaryInteger, nestedFlag: Bool = false,
        _ body: (inout NetlinkWriter) throws -> Void
    ) rethrows {
        try attribute(type, nestedFlag: nestedFlag, body)
    }

    public mutating func put(_ type: some BinaryInteger, u8 value: UInt8) {
        attribute(type) { $0.append(value) }
    }

    public mutating func put(_ type: some BinaryInteger, u16 value: UInt16) {
        attribute(type) { $0.append(value) }
    }

    public mutating func put(_ type: some BinaryInteger, u32 value: UInt32) {
        attribute(type) { $0.append(value) }
    }

    public mutating func put(_ type: some BinaryInteger, i32 value: Int32) {
        attribute(type) { $0.append(value) }
    }

    /// A 16-bit value in network byte order (IFLA_VXLAN_PORT, NDA_PORT).
    public mutating func put(_ type: some BinaryInteger, u16BigEndian value: UInt16) {
        attribute(type) { $0.append(value.bigEndian) }
    }

    /// A NUL-terminated string (NLA_STRING / NLA_NUL_STRING).
    public mutating func put(_ type: some BinaryInteger, string value: String) {
        attribute(type) {
            $0.append(contentsOf: value.utf8)
            $0.append(UInt8(0))
        }
    }

    /// A string without terminating NUL, as iproute2 sends link kinds and aliases;
    /// NLA_STRING attributes accept both.
    public mutating func put(_ type: some BinaryInteger, unterminatedString value: String) {
        attribute(type) { $0.append(contentsOf: value.utf8) }
    }

    public mutating func put(_ type: some BinaryInteger, bytes value: some Collection<UInt8>) {
        attribute(type) { $0.append(contentsOf: value) }
    }

    /// An IPv4 address: four bytes in network order.
    public mutating func put(_ type: some BinaryInteger, ipv4 address: IPv4Address) {
        attribute(type) { $0.append(address.value.bigEndian) }
    }

    /// An address of either family: 4 or 16 bytes in network order, as rtnetlink
    /// carries the addresses of a message's family.
    public mutating func put(_ type: some BinaryInteger, ip address: IPAddress) {
        switch address {
        case .v4(let address): put(type, ipv4: address)
        case .v6(let address): put(type, bytes: address.bytes)
        }
    }

    public mutating func put(_ type: some BinaryInteger, mac address: MACAddress) {
        put(type, bytes: address.bytes)
    }

    /// An attribute without payload (NLA_FLAG).
    public mutating func put(flag type: some BinaryInteger) {
        attribute(type) { _ in }
    }
}
