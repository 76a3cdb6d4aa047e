/// rtm_protocol: who installed a route (RTPROT_*). podnet marks its routes with its
/// own number, which iproute2 can name through rt_protos.d.
public struct RouteProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = RouteProtocol(rawValue: 0)
    public static let redirect = RouteProtocol(rawValue: 1)
    /// Added by the kernel (the prefix route of an address).
    public static let kernel = RouteProtocol(rawValue: 2)
    /// `ip route add` without `proto`.
    public static let boot = RouteProtocol(rawValue: 3)
    public static let `static` = RouteProtocol(rawValue: 4)
}
