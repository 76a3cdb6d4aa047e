import PodnetAddress

/// An address on an interface (`ip addr add 10.200.0.1/24 dev br0`,
/// `ip -6 addr add fd00:10:200::1/64 dev br0 nodad`).
/// Identity is the whole value: an address is added or deleted, never changed.
///
/// podnet adds every IPv6 address with `nodad`: its addresses come from one
/// allocator, so duplicate address detection could find nothing, and it would
/// hold each address tentative (unusable as a source or a route's gateway) for
/// a second or more after it is added.
public struct Address: Hashable, Sendable, Codable, Comparable {
    public var link: Link.ID
    /// The address with its prefix length, host bits kept (`10.200.0.1/24`).
    public var address: IPPrefix

    public init(link: Link.ID, address: IPPrefix) {
        self.link = link
        self.address = address
    }

    public init(link: Link.ID, address: IPv4Prefix) {
        self.init(link: link, address: .v4(address))
    }

    public var family: AddressFamily { address.family }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        (lhs.link, lhs.address) < (rhs.link, rhs.address)
    }
}
