import PodnetAddress

/// An IPv4 address on an interface (`ip addr add 10.200.0.1/24 dev br0`).
/// Identity is the whole value: an address is added or deleted, never changed.
public struct Address: Hashable, Sendable, Codable, Comparable {
    public var link: Link.ID
    /// The address with its prefix length, host bits kept (`10.200.0.1/24`).
    public var address: IPv4Prefix

    public init(link: Link.ID, address: IPv4Prefix) {
        self.link = link
        self.address = address
    }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        (lhs.link, lhs.address.address, lhs.address.length) < (rhs.link, rhs.address.address, rhs.address.length)
    }
}
