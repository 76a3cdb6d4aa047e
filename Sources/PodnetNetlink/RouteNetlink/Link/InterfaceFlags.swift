import CMNL

/// ifi_flags: the IFF_* flags of a link (linux/if.h).
public struct InterfaceFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let up = InterfaceFlags(rawValue: IFF_UP.rawValue)
    public static let broadcast = InterfaceFlags(rawValue: IFF_BROADCAST.rawValue)
    public static let loopback = InterfaceFlags(rawValue: IFF_LOOPBACK.rawValue)
    public static let pointToPoint = InterfaceFlags(rawValue: IFF_POINTOPOINT.rawValue)
    public static let running = InterfaceFlags(rawValue: IFF_RUNNING.rawValue)
    public static let noARP = InterfaceFlags(rawValue: IFF_NOARP.rawValue)
    public static let promiscuous = InterfaceFlags(rawValue: IFF_PROMISC.rawValue)
    public static let multicast = InterfaceFlags(rawValue: IFF_MULTICAST.rawValue)
    /// The carrier is up (IFF_LOWER_UP, 1 << 16).
    public static let lowerUp = InterfaceFlags(rawValue: 1 << 16)
}
