/// rtm_flags: next-hop flags (RTNH_F_*) and route message flags (RTM_F_*).
public struct RouteFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// RTNH_F_DEAD: the next hop is down.
    public static let dead = RouteFlags(rawValue: 1)
    /// RTNH_F_ONLINK: the gateway is reachable on the link even though no route or
    /// address says so (flannel's routes to remote nodes' subnets through vxlan).
    public static let onlink = RouteFlags(rawValue: 4)
    /// RTNH_F_LINKDOWN: the carrier of the output device is down.
    public static let linkDown = RouteFlags(rawValue: 16)
}
