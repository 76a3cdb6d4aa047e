/// ICMPv6 by type, for rules that must let IPv6's own control traffic by.
extension NFTExpression {
    /// IPPROTO_ICMPV6, as `meta l4proto` loads it.
    public static let icmpv6Protocol: UInt8 = 58

    /// Neighbour discovery's types (RFC 4861): router solicitation and
    /// advertisement, neighbour solicitation and advertisement.
    public static let neighbourDiscoveryTypes: [UInt8] = [133, 134, 135, 136]

    /// `icmpv6 type TYPE` as nft compiles it in an inet table: `meta nfproto ipv6`
    /// and `meta l4proto 58` first, then the type, the first byte of the ICMPv6 header.
    public static func icmpv6Type(equals type: UInt8) -> [NFTExpression] {
        networkProtocol(equals: nfprotoIPv6) + layer4Protocol(equals: icmpv6Protocol)
            + [.payload(NFTPayload(base: .transport, offset: 0, length: 1)), .compare(NFTComparison(.equal, [type]))]
    }
}
