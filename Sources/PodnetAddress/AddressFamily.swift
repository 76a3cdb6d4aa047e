/// An IP family. The raw values are the kernel's (`AF_INET`, `AF_INET6`), the byte
/// rtnetlink messages carry in their family field; the text is Kubernetes' spelling
/// (`ipFamilies: [IPv4, IPv6]`). IPv4 sorts first, as a dual-stack list does when
/// nothing says otherwise.
public enum AddressFamily: UInt8, CaseIterable, Comparable, Sendable {
    case ipv4 = 2
    case ipv6 = 10

    /// Parses `IPv4` or `IPv6`, exactly as Kubernetes spells them.
    public init?(name: some StringProtocol) {
        switch name {
        case "IPv4": self = .ipv4
        case "IPv6": self = .ipv6
        default: return nil
        }
    }

    /// The family a text is meant in, to choose whose reason to give when it parses
    /// as neither: IPv6 if it holds a ':', which no IPv4 text does, else IPv4.
    public init(meantBy text: some StringProtocol) {
        self = text.contains(":") ? .ipv6 : .ipv4
    }

    public var name: String {
        switch self {
        case .ipv4: return "IPv4"
        case .ipv6: return "IPv6"
        }
    }

    /// 32 or 128.
    public var addressBits: Int {
        switch self {
        case .ipv4: return 32
        case .ipv6: return 128
        }
    }

    public static func < (lhs: AddressFamily, rhs: AddressFamily) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension AddressFamily: CustomStringConvertible {
    public var description: String { name }
}

/// Encoded by name (`"IPv6"`), not by the kernel's number, as JSON output shows it.
extension AddressFamily: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let family = AddressFamily(name: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an address family: \(text); write IPv4 or IPv6")
        }
        self = family
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
