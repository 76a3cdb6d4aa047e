/// What an address of one family offers, so that code that works the same way per
/// family (pools, allocation, validation) is written once, generic over the two.
public protocol IPAddressProtocol: Hashable, Comparable, Sendable, Codable, LosslessStringConvertible {
    static var family: AddressFamily { get }
    /// In network order: 4 or 16 octets.
    var bytes: [UInt8] { get }
    init?(bytes: some Collection<UInt8>)
    var isMulticast: Bool { get }
    func advanced(by offset: Int) -> Self?
    /// The same address in the enum that holds either family.
    var ipAddress: IPAddress { get }
}

/// What a prefix of one family offers; see `IPAddressProtocol`.
public protocol IPPrefixProtocol: Hashable, Sendable, Codable, LosslessStringConvertible {
    associatedtype Address: IPAddressProtocol
    init(address: Address, length: Int)
    static var everything: Self { get }
    var address: Address { get }
    var length: Int { get }
    var hostBits: Int { get }
    var network: Self { get }
    var isNetwork: Bool { get }
    var first: Address { get }
    var last: Address { get }
    /// The `index`-th usable host address, or nil past the last.
    func host(at index: UInt64) -> Address?
    func contains(_ address: Address) -> Bool
    func contains(_ other: Self) -> Bool
    func overlaps(_ other: Self) -> Bool
    func subnet(length: Int, index: UInt64) -> Self?
    /// The same prefix in the enum that holds either family.
    var ipPrefix: IPPrefix { get }
}

extension IPv4Address: IPAddressProtocol {
    public static var family: AddressFamily { .ipv4 }
    public var ipAddress: IPAddress { .v4(self) }
}

extension IPv6Address: IPAddressProtocol {
    public static var family: AddressFamily { .ipv6 }
    public var ipAddress: IPAddress { .v6(self) }
}

extension IPv4Prefix: IPPrefixProtocol {
    /// The `index`-th of `hosts` (10.200.1.1 is host 0 of 10.200.1.0/24), or nil past the last.
    public func host(at index: UInt64) -> IPv4Address? {
        guard let hosts, index <= UInt64(UInt32.max) else { return nil }
        let host = UInt64(hosts.lowerBound) + index
        guard host <= UInt64(hosts.upperBound) else { return nil }
        return IPv4Address(UInt32(host))
    }

    public var ipPrefix: IPPrefix { .v4(self) }
}

extension IPv6Prefix: IPPrefixProtocol {
    public var ipPrefix: IPPrefix { .v6(self) }
}
