import PodnetAddress

/// One attribute of a received message: its type and a view of its payload. The
/// accessors check the payload size, so a wrong assumption about an attribute's type
/// is a thrown error, never a crash or a silent misread.
public struct NetlinkAttribute: Sendable, Equatable {
    /// NLA_F_NESTED and NLA_F_NET_BYTEORDER live in the top bits of nla_type.
    static let nestedFlag: UInt16 = 0x8000
    static let byteOrderFlag: UInt16 = 0x4000

    /// The attribute type with the flag bits removed.
    public let type: UInt16
    /// Whether the sender set NLA_F_NESTED. Nests are not always flagged, so parsing
    /// a payload as a nest is the reader's decision (`nested()`), not this flag's.
    public let isFlaggedNested: Bool
    public let payload: ArraySlice<UInt8>

    public init(type: UInt16, isFlaggedNested: Bool = false, payload: ArraySlice<UInt8>) {
        self.type = type
        self.isFlaggedNested = isFlaggedNested
        self.payload = payload
    }

    private func integer<T: FixedWidthInteger>(_: T.Type) throws(NetlinkParseError) -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw .wrongAttributeSize(type: type, expected: MemoryLayout<T>.size, actual: payload.count)
        }
        return payload.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }

    public func u8() throws(NetlinkParseError) -> UInt8 { try integer(UInt8.self) }
    public func u16() throws(NetlinkParseError) -> UInt16 { try integer(UInt16.self) }
    public func u32() throws(NetlinkParseError) -> UInt32 { try integer(UInt32.self) }
    public func i32() throws(NetlinkParseError) -> Int32 { try integer(Int32.self) }

    /// A 16-bit value sent in network byte order (IFLA_VXLAN_PORT).
    public func u16BigEndian() throws(NetlinkParseError) -> UInt16 { UInt16(bigEndian: try integer(UInt16.self)) }

    /// A string up to its first NUL (the kernel terminates its strings; an
    /// unterminated one is taken whole). Invalid UTF-8 is repaired, not rejected:
    /// interface names are bytes to the kernel.
    public func string() -> String {
        let end = payload.firstIndex(of: 0) ?? payload.endIndex
        return String(decoding: payload[payload.startIndex..<end], as: UTF8.self)
    }

    /// Four octets in network order: one load, not the generic byte-by-byte
    /// IPv4Address(bytes:), which a read of hundreds of namespaces calls thousands of times.
    public func ipv4() throws(NetlinkParseError) -> IPv4Address {
        IPv4Address(UInt32(bigEndian: try integer(UInt32.self)))
    }

    /// An address of either family, told by its length (4 or 16 octets): rtnetlink's
    /// address attributes carry the family of their message.
    public func ip() throws(NetlinkParseError) -> IPAddress {
        switch payload.count {
        case 4: return .v4(try ipv4())
        case 16:
            guard let address = IPv6Address(bytes: payload) else { throw .wrongAttributeSize(type: type, expected: 16, actual: payload.count) }
            return .v6(address)
        default: throw .wrongAttributeSize(type: type, expected: 4, actual: payload.count)
        }
    }

    public func mac() throws(NetlinkParseError) -> MACAddress {
        guard payload.count == 6, let address = MACAddress(bytes: payload) else {
            throw .wrongAttributeSize(type: type, expected: 6, actual: payload.count)
        }
        return address
    }

    /// The payload read as a list of attributes.
    public func nested() throws(NetlinkParseError) -> NetlinkAttributes {
        try NetlinkAttributes(parsing: payload)
    }
}
