/// A routing table id. rtm_table holds only 8 bits; ids from 256 travel in RTA_TABLE.
public struct RouteTable: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let unspecified = RouteTable(rawValue: 0)
    public static let `default` = RouteTable(rawValue: 253)
    public static let main = RouteTable(rawValue: 254)
    public static let local = RouteTable(rawValue: 255)
}
