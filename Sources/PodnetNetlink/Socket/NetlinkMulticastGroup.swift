import CMNL

/// A multicast group a netlink socket can join to hear of changes as the kernel makes
/// them (what `ip monitor` and `nft monitor` listen to). Groups are numbered per bus.
public struct NetlinkMulticastGroup: Hashable, Sendable, CustomStringConvertible {
    public let bus: NetlinkBus
    public let number: UInt32
    public let name: String

    public init(bus: NetlinkBus, number: UInt32, name: String) {
        self.bus = bus
        self.number = number
        self.name = name
    }

    /// Links created, changed (flags, master, carrier) or deleted.
    public static let link = NetlinkMulticastGroup(bus: .route, number: RTNLGRP_LINK.rawValue, name: "RTNLGRP_LINK")
    /// Neighbour and FDB entries (every family: the bridge's learning included).
    public static let neighbour = NetlinkMulticastGroup(bus: .route, number: RTNLGRP_NEIGH.rawValue, name: "RTNLGRP_NEIGH")
    public static let ipv4Address = NetlinkMulticastGroup(bus: .route, number: RTNLGRP_IPV4_IFADDR.rawValue, name: "RTNLGRP_IPV4_IFADDR")
    public static let ipv4Route = NetlinkMulticastGroup(bus: .route, number: RTNLGRP_IPV4_ROUTE.rawValue, name: "RTNLGRP_IPV4_ROUTE")
    public static let ipv6Address = NetlinkMulticastGroup(bus: .route, number: RTNLGRP_IPV6_IFADDR.rawValue, name: "RTNLGRP_IPV6_IFADDR")
    public static let ipv6Route = NetlinkMulticastGroup(bus: .route, number: RTNLGRP_IPV6_ROUTE.rawValue, name: "RTNLGRP_IPV6_ROUTE")
    /// Every nf_tables object committed or deleted, and each commit's new generation.
    public static let nftables = NetlinkMulticastGroup(bus: .netfilter, number: UInt32(NFNLGRP_NFTABLES.rawValue), name: "NFNLGRP_NFTABLES")

    /// What podnet reconciles over rtnetlink: links, addresses, routes, neighbours, in
    /// both families (a dual-stack cluster's IPv6 objects drift like the rest).
    public static let routeObjects: [NetlinkMulticastGroup] = [.link, .neighbour, .ipv4Address, .ipv4Route, .ipv6Address, .ipv6Route]

    public var description: String { name }
}
