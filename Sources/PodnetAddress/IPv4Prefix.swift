/// An IPv4 network prefix such as 10.200.0.0/16. The address may carry host bits
/// only where a caller keeps an interface address with its prefix length
/// (`10.200.0.1/24`); `isNetwork` tells the two apart.
public struct IPv4Prefix: Hashable, Sendable {
    public var address: IPv4Address
    public var length: Int

    public init(address: IPv4Address, length: Int) {
        precondition((0...32).contains(length), "prefix length out of range: \(length)")
        self.address = address
        self.length = length
    }

    /// 0.0.0.0/0: the destination of a default route.
    public static let everything = IPv4Prefix(address: IPv4Address(0), length: 0)

    /// Parses `a.b.c.d/n`. Host bits are allowed here; validation decides whether
    /// they are a mistake in a given field.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]),
              !parts[1].isEmpty, parts[1].count <= 2, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              let length = Int(parts[1]), (0...32).contains(length) else { return nil }
        self.init(address: address, length: length)
    }

    public var mask: UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    /// The prefix with host bits cleared.
    public var network: IPv4Prefix { IPv4Prefix(address: IPv4Address(address.value & mask), length: length) }

    public var isNetwork: Bool { address.value & ~mask == 0 }

    public var first: IPv4Address { IPv4Address(address.value & mask) }
    public var last: IPv4Address { IPv4Address(address.value | ~mask) }
    public var broadcast: IPv4Address { last }

    /// The bits after the prefix (8 for a /24), as `IPv6Prefix.hostBits`.
    public var hostBits: Int { 32 - length }

    /// Number of addresses covered (2^(32-length)).
    public var size: UInt64 { UInt64(1) << UInt64(32 - length) }

    /// Usable host addresses: all but network and broadcast, except /31 and /32.
    public var hosts: ClosedRange<UInt32>? {
        switch length {
        case 32: return first.value...first.value
        case 31: return first.value...last.value
        default: return (first.value + 1)...(last.value - 1)
        }
    }

    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == self.address.value & mask }

    public func contains(_ other: IPv4Prefix) -> Bool { other.length >= length && contains(other.address) }

    public func overlaps(_ other: IPv4Prefix) -> Bool { contains(other.first) || other.contains(first) }

    /// The `index`-th subnet of length `newLength` inside this prefix, if it exists.
    public func subnet(length newLength: Int, index: UInt64) -> IPv4Prefix? {
        guard newLength >= length, newLength <= 32 else { return nil }
        let count = UInt64(1) << UInt64(newLength - length)
        guard index < count else { return nil }
        let base = UInt64(first.value) + index * (UInt64(1) << UInt64(32 - newLength))
        return IPv4Prefix(address: IPv4Address(UInt32(base)), length: newLength)
    }
}

extension IPv4Prefix: CustomStringConvertible, LosslessStringConvertible {
    public var description: String { "\(address)/\(length)" }
}

extension IPv4Prefix: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let prefix = IPv4Prefix(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an IPv4 prefix: \(text)")
        }
        self = prefix
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
