/// An IPv6 address, held as two 64-bit halves in host byte order so that
/// arithmetic (next host, containment, masks) is plain integer arithmetic, as for
/// `IPv4Address`. Two `UInt64`s rather than `UInt128`, which Apple platforms gate
/// behind an availability check.
///
/// Text forms: `init?(_:)` parses every form RFC 4291 §2.2 allows, and
/// `init(parsing:)` says why a text is not one; `description` prints the canonical
/// RFC 5952 form (see IPv6Address+Parsing.swift and IPv6Address+Description.swift).
public struct IPv6Address: Hashable, Comparable, Sendable {
    /// Groups 1–4: the first 64 bits, the network half of a /64.
    public var high: UInt64
    /// Groups 5–8: the last 64 bits, a /64's interface identifier.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// `::`, the unspecified address.
    public static let unspecified = IPv6Address(high: 0, low: 0)
    /// `::1`.
    public static let loopback = IPv6Address(high: 0, low: 1)

    /// The eight 16-bit groups, first to last, as written in text.
    public init?(groups: some Collection<UInt16>) {
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, group) in groups.enumerated() {
            if index < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
        }
        self.init(high: high, low: low)
    }

    public var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (index % 4)))
        }
    }

    /// The sixteen octets in network order, as the kernel wants them.
    public var bytes: [UInt8] {
        (0..<16).map { index in
            let half = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: half >> UInt64(56 - 8 * (index % 8)))
        }
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        // Netlink hands over contiguous bytes; walking a collection of a type this
        // module does not know costs some twenty times more.
        self = bytes.withContiguousStorageIfAvailable(Self.init(contiguousBytes:))
            ?? Array(bytes).withUnsafeBufferPointer(Self.init(contiguousBytes:))
    }

    private init(contiguousBytes bytes: UnsafeBufferPointer<UInt8>) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[index])
            low = low << 8 | UInt64(bytes[8 + index])
        }
        self.init(high: high, low: low)
    }

    /// `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2): how a dual-stack socket shows an IPv4 peer.
    public init(ipv4Mapped address: IPv4Address) {
        self.init(high: 0, low: 0xffff_0000_0000 | UInt64(address.value))
    }

    /// `::a.b.c.d` (RFC 4291 §2.5.5.1, deprecated as an address): what a `sit`
    /// tunnel without a fixed remote takes the outer IPv4 destination from, when a
    /// route's gateway is one.
    public init(ipv4Compatible address: IPv4Address) {
        self.init(high: 0, low: UInt64(address.value))
    }

    /// The IPv4 address inside an IPv4-mapped address (`::ffff:0:0/96`), else nil.
    public var ipv4Mapped: IPv4Address? {
        guard high == 0, low >> 32 == 0xffff else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: low))
    }

    /// ff00::/8 (RFC 4291 §2.7).
    public var isMulticast: Bool { high >> 56 == 0xff }
    /// fe80::/10, unicast link-local (RFC 4291 §2.5.6): every interface has one, and
    /// a route through a link-local next hop needs its interface.
    public var isLinkLocal: Bool { high >> 54 == 0b11_1111_1010 }
    public var isLoopback: Bool { self == .loopback }
    public var isUnspecified: Bool { self == .unspecified }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The address `offset` further on, or nil past `ffff:…:ffff` or before `::`.
    public func advanced(by offset: Int) -> IPv6Address? {
        offset >= 0 ? adding(UInt64(offset)) : subtracting(UInt64(offset.magnitude))
    }

    /// The address `offset` further on, or nil past the last address: wide enough
    /// for any host of a /64.
    public func adding(_ offset: UInt64) -> IPv6Address? {
        let (low, carry) = self.low.addingReportingOverflow(offset)
        guard carry else { return IPv6Address(high: high, low: low) }
        guard high != .max else { return nil }
        return IPv6Address(high: high + 1, low: low)
    }

    /// The address `offset` before this one, or nil before `::`.
    public func subtracting(_ offset: UInt64) -> IPv6Address? {
        let (low, borrow) = self.low.subtractingReportingOverflow(offset)
        guard borrow else { return IPv6Address(high: high, low: low) }
        guard high != 0 else { return nil }
        return IPv6Address(high: high - 1, low: low)
    }

    // Bitwise operations on the whole 128 bits, for masks.
    static func & (lhs: IPv6Address, rhs: IPv6Address) -> IPv6Address {
        IPv6Address(high: lhs.high & rhs.high, low: lhs.low & rhs.low)
    }

    static func | (lhs: IPv6Address, rhs: IPv6Address) -> IPv6Address {
        IPv6Address(high: lhs.high | rhs.high, low: lhs.low | rhs.low)
    }

    static prefix func ~ (address: IPv6Address) -> IPv6Address {
        IPv6Address(high: ~address.high, low: ~address.low)
    }
}

extension IPv6Address: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try IPv6Address(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an IPv6 address: \(text) (\(error))")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
