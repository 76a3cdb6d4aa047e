import CMNL

/// Which netlink protocol a socket speaks (the third argument of socket(2)).
public struct NetlinkBus: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// rtnetlink: links, addresses, routes, neighbours.
    public static let route = NetlinkBus(rawValue: NETLINK_ROUTE)
    /// nfnetlink: nf_tables, conntrack.
    public static let netfilter = NetlinkBus(rawValue: NETLINK_NETFILTER)
    /// generic netlink: IPVS and other families resolved by name.
    public static let generic = NetlinkBus(rawValue: NETLINK_GENERIC)
}
