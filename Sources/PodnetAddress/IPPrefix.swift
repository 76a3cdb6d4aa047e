/// A prefix of either family: what a topology field such as `clusterCIDR` holds
/// once it takes one value per family.
public enum IPPrefix: Hashable, Sendable {
    case v4(IPv4Prefix)
    case v6(IPv6Prefix)

    /// - Precondition: `length` fits the address's family (0...32 or 0...128).
    public init(address: IPAddress, length: Int) {
        switch address {
        case .v4(let address): self = .v4(IPv4Prefix(address: address, length: length))
        case .v6(let address): self = .v6(IPv6Prefix(address: address, length: length))
        }
    }

    /// The default route's destination in `family`: 0.0.0.0/0 or ::/0.
    public static func everything(_ family: AddressFamily) -> IPPrefix {
        switch family {
        case .ipv4: return .v4(.everything)
        case .ipv6: return .v6(.everything)
        }
    }

    /// Parses either family's `address/length`; host bits are allowed, as in
    /// `IPv4Prefix` and `IPv6Prefix`.
    public init?(_ text: some StringProtocol) {
        if let prefix = IPv4Prefix(text) {
            self = .v4(prefix)
        } else if let prefix = IPv6Prefix(text) {
            self = .v6(prefix)
        } else {
            return nil
        }
    }

    public var family: AddressFamily {
        switch self {
        case .v4: return .ipv4
        case .v6: return .ipv6
        }
    }

    public var ipv4: IPv4Prefix? {
        guard case .v4(let prefix) = self else { return nil }
        return prefix
    }

    public var ipv6: IPv6Prefix? {
        guard case .v6(let prefix) = self else { return nil }
        return prefix
    }

    public var address: IPAddress {
        switch self {
        case .v4(let prefix): return .v4(prefix.address)
        case .v6(let prefix): return .v6(prefix.address)
        }
    }

    public var length: Int {
        switch self {
        case .v4(let prefix): return prefix.length
        case .v6(let prefix): return prefix.length
        }
    }

    public var hostBits: Int { family.addressBits - length }

    /// The prefix with host bits cleared.
    public var network: IPPrefix {
        switch self {
        case .v4(let prefix): return .v4(prefix.network)
        case .v6(let prefix): return .v6(prefix.network)
        }
    }

    public var isNetwork: Bool {
        switch self {
        case .v4(let prefix): return prefix.isNetwork
        case .v6(let prefix): return prefix.isNetwork
        }
    }

    public var first: IPAddress {
        switch self {
        case .v4(let prefix): return .v4(prefix.first)
        case .v6(let prefix): return .v6(prefix.first)
        }
    }

    public var last: IPAddress {
        switch self {
        case .v4(let prefix): return .v4(prefix.last)
        case .v6(let prefix): return .v6(prefix.last)
        }
    }

    /// The `index`-th usable host address, or nil past the last: IPv4 skips the
    /// network and broadcast addresses, IPv6 the subnet-router anycast one.
    public func host(at index: UInt64) -> IPAddress? {
        switch self {
        case .v4(let prefix): return prefix.host(at: index).map(IPAddress.v4)
        case .v6(let prefix): return prefix.host(at: index).map(IPAddress.v6)
        }
    }

    /// False for an address of the other family.
    public func contains(_ address: IPAddress) -> Bool {
        switch (self, address) {
        case (.v4(let prefix), .v4(let address)): return prefix.contains(address)
        case (.v6(let prefix), .v6(let address)): return prefix.contains(address)
        default: return false
        }
    }

    /// False for a prefix of the other family.
    public func contains(_ other: IPPrefix) -> Bool {
        switch (self, other) {
        case (.v4(let prefix), .v4(let other)): return prefix.contains(other)
        case (.v6(let prefix), .v6(let other)): return prefix.contains(other)
        default: return false
        }
    }

    /// Prefixes of different families never overlap.
    public func overlaps(_ other: IPPrefix) -> Bool {
        switch (self, other) {
        case (.v4(let prefix), .v4(let other)): return prefix.overlaps(other)
        case (.v6(let prefix), .v6(let other)): return prefix.overlaps(other)
        default: return false
        }
    }

    /// The `index`-th subnet of length `newLength` inside this prefix, if it exists.
    public func subnet(length newLength: Int, index: UInt64) -> IPPrefix? {
        switch self {
        case .v4(let prefix): return prefix.subnet(length: newLength, index: index).map(IPPrefix.v4)
        case .v6(let prefix): return prefix.subnet(length: newLength, index: index).map(IPPrefix.v6)
        }
    }
}

/// IPv4 prefixes before IPv6 ones; within a family by address, then shorter first.
extension IPPrefix: Comparable {
    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        (lhs.address, lhs.length) < (rhs.address, rhs.length)
    }
}

extension IPPrefix: CustomStringConvertible, LosslessStringConvertible {
    public var description: String {
        switch self {
        case .v4(let prefix): return prefix.description
        case .v6(let prefix): return prefix.description
        }
    }
}

extension IPPrefix: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let prefix = IPPrefix(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an IP prefix: \(text)")
        }
        self = prefix
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
