/// An IPv6 network prefix such as 2001:db8:42::/48, the counterpart of `IPv4Prefix`
/// with the same names where the meaning is the same. The address may carry host
/// bits only where a caller keeps an interface address with its prefix length
/// (`2001:db8:42:1::1/64`); `isNetwork` tells the two apart.
public struct IPv6Prefix: Hashable, Sendable {
    public var address: IPv6Address
    public var length: Int

    public init(address: IPv6Address, length: Int) {
        precondition((0...128).contains(length), "prefix length out of range: \(length)")
        self.address = address
        self.length = length
    }

    /// ::/0: the destination of a default route.
    public static let everything = IPv6Prefix(address: .unspecified, length: 0)

    /// Parses `address/length`. Host bits are allowed here; validation decides
    /// whether they are a mistake in a given field.
    public init?(_ text: some StringProtocol) {
        guard let prefix = try? IPv6Prefix(parsing: text) else { return nil }
        self = prefix
    }

    public init(parsing text: some StringProtocol) throws(IPv6PrefixSyntaxError) {
        guard let slash = text.firstIndex(of: "/") else { throw .missingLength }
        let lengthText = text[text.index(after: slash)...]
        let address: IPv6Address
        do {
            address = try IPv6Address(parsing: text[..<slash])
        } catch {
            throw .address(error)
        }
        guard !lengthText.isEmpty, lengthText.count <= 3,
              lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
              !(lengthText.count > 1 && lengthText.first == "0"),
              let length = Int(lengthText), (0...128).contains(length) else {
            throw .invalidLength(String(lengthText))
        }
        self.init(address: address, length: length)
    }

    /// The netmask as an address (`ffff:ffff:ffff:ffff::` for a /64).
    public var mask: IPv6Address {
        let high: UInt64 = length >= 64 ? .max : length == 0 ? 0 : .max << UInt64(64 - length)
        let low: UInt64 = length <= 64 ? 0 : .max << UInt64(128 - length)
        return IPv6Address(high: high, low: low)
    }

    /// The prefix with host bits cleared.
    public var network: IPv6Prefix { IPv6Prefix(address: address & mask, length: length) }

    public var isNetwork: Bool { address & ~mask == .unspecified }

    public var first: IPv6Address { address & mask }
    public var last: IPv6Address { address | ~mask }

    /// The bits after the prefix: 64 for a /64. The number of addresses is
    /// 2^hostBits, which for most IPv6 prefixes no integer holds.
    public var hostBits: Int { 128 - length }

    /// Number of addresses covered (2^hostBits), where it fits in 64 bits (a /65 or
    /// longer); nil for a /64 or shorter.
    public var size: UInt64? { hostBits < 64 ? UInt64(1) << UInt64(hostBits) : nil }

    /// Addresses a host may take: all but the first, the subnet-router anycast
    /// address (RFC 4291 §2.6.1) that CNI's host-local IPAM also skips; unlike IPv4
    /// there is no broadcast, so the last is a host. A /127 (a point-to-point link,
    /// RFC 6164) and a /128 use every address.
    public var hosts: ClosedRange<IPv6Address> {
        switch length {
        case 127, 128: return first...last
        default: return first.adding(1)!...last
        }
    }

    /// The `index`-th host address (0 is the first of `hosts`, `::1` in a /64), or
    /// nil past the last.
    public func host(at index: UInt64) -> IPv6Address? {
        guard let host = hosts.lowerBound.adding(index), host <= hosts.upperBound else { return nil }
        return host
    }

    public func contains(_ address: IPv6Address) -> Bool { address & mask == first }

    public func contains(_ other: IPv6Prefix) -> Bool { other.length >= length && contains(other.address) }

    public func overlaps(_ other: IPv6Prefix) -> Bool { contains(other.first) || other.contains(first) }

    /// The `index`-th subnet of length `newLength` inside this prefix (the n-th /64
    /// of a /48), if it exists.
    public func subnet(length newLength: Int, index: UInt64) -> IPv6Prefix? {
        guard newLength >= length, newLength <= 128 else { return nil }
        let indexBits = newLength - length
        if indexBits < 64 {
            guard index < UInt64(1) << UInt64(indexBits) else { return nil }
        }
        // index < 2^indexBits, so shifted past the new prefix it lands in this
        // prefix's host bits and never carries into its network bits.
        return IPv6Prefix(address: first | Self.shifted(index, by: 128 - newLength), length: newLength)
    }

    /// `value` shifted left by `shift` bits as a 128-bit number.
    private static func shifted(_ value: UInt64, by shift: Int) -> IPv6Address {
        switch shift {
        case 0: return IPv6Address(high: 0, low: value)
        case 1..<64: return IPv6Address(high: value >> UInt64(64 - shift), low: value << UInt64(shift))
        case 64..<128: return IPv6Address(high: value << UInt64(shift - 64), low: 0)
        default: return .unspecified
        }
    }
}

/// Why a text is not an IPv6 prefix; descriptions as for `IPv6AddressSyntaxError`.
public enum IPv6PrefixSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    case missingLength
    case address(IPv6AddressSyntaxError)
    case invalidLength(String)

    public var description: String {
        switch self {
        case .missingLength: return "a prefix needs a length after '/', like 2001:db8::/64"
        case .address(let error): return error.description
        case .invalidLength(let text): return "'\(text)' is not a prefix length; write a number from 0 to 128 without leading zeros"
        }
    }
}

extension IPv6Prefix: CustomStringConvertible, LosslessStringConvertible {
    public var description: String { "\(address)/\(length)" }
}

extension IPv6Prefix: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try IPv6Prefix(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an IPv6 prefix: \(text) (\(error))")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
