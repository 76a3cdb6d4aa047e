/// An address of either family: what a topology field taking "one value per
/// family" holds, and what code that works per family passes around.
public enum IPAddress: Hashable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var family: AddressFamily {
        switch self {
        case .v4: return .ipv4
        case .v6: return .ipv6
        }
    }

    /// Parses either family's text form. `::ffff:192.0.2.1` is an IPv6 address (an
    /// IPv4-mapped one), not the IPv4 address it maps.
    public init?(_ text: some StringProtocol) {
        if let address = IPv4Address(text) {
            self = .v4(address)
        } else if let address = IPv6Address(text) {
            self = .v6(address)
        } else {
            return nil
        }
    }

    /// 4 or 16 octets in network order, as netlink carries them.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let address): return address.bytes
        case .v6(let address): return address.bytes
        }
    }

    /// The family follows from the length: 4 octets IPv4, 16 IPv6.
    public init?(bytes: some Collection<UInt8>) {
        if let address = IPv4Address(bytes: bytes) {
            self = .v4(address)
        } else if let address = IPv6Address(bytes: bytes) {
            self = .v6(address)
        } else {
            return nil
        }
    }

    public var ipv4: IPv4Address? {
        guard case .v4(let address) = self else { return nil }
        return address
    }

    public var ipv6: IPv6Address? {
        guard case .v6(let address) = self else { return nil }
        return address
    }

    public var isMulticast: Bool {
        switch self {
        case .v4(let address): return address.isMulticast
        case .v6(let address): return address.isMulticast
        }
    }

    /// The address `offset` further on in its family, or nil past either end.
    public func advanced(by offset: Int) -> IPAddress? {
        switch self {
        case .v4(let address): return address.advanced(by: offset).map(IPAddress.v4)
        case .v6(let address): return address.advanced(by: offset).map(IPAddress.v6)
        }
    }
}

/// IPv4 addresses before IPv6 ones, each family in numeric order.
extension IPAddress: Comparable {
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}

extension IPAddress: CustomStringConvertible, LosslessStringConvertible {
    public var description: String {
        switch self {
        case .v4(let address): return address.description
        case .v6(let address): return address.description
        }
    }
}

/// A plain string, either family's text, as JSON output and topology fields write it.
extension IPAddress: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an IP address: \(text)")
        }
        self = address
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
