import PodnetAddress

/// The expression sequences nft compiles its common statements to, so that a rule
/// podnet builds is the very rule `nft add rule …` would make from the same text
/// (and reads back identically from either). Address matches come in both families:
/// `ip saddr` loads 4 bytes at offset 12 of the IPv4 header, `ip6 saddr` 16 at offset
/// 8 of the IPv6 one; the family follows from the address or prefix given.
extension NFTExpression {
    /// `ip saddr ADDRESS` / `ip6 daddr ADDRESS` (`!=` with `negated`).
    public static func ipAddress(_ field: NFTAddressField, equals address: IPAddress, negated: Bool = false) -> [NFTExpression] {
        [.payload(NFTPayload(base: .network, offset: field.offset(in: address.family), length: UInt32(address.family.addressBytes))),
         .compare(NFTComparison(negated ? .notEqual : .equal, address.bytes))]
    }

    public static func ipAddress(_ field: NFTAddressField, equals address: IPv4Address, negated: Bool = false) -> [NFTExpression] {
        ipAddress(field, equals: .v4(address), negated: negated)
    }

    /// `ip saddr` / `ip6 saddr` loaded into register 1, for a lookup.
    public static func ipAddressLoad(_ field: NFTAddressField, family: AddressFamily = .ipv4) -> [NFTExpression] {
        [.payload(NFTPayload(base: .network, offset: field.offset(in: family), length: UInt32(family.addressBytes)))]
    }

    /// `ip saddr PREFIX` / `ip6 saddr PREFIX`: nft loads only the prefix's whole bytes
    /// when the length is a multiple of 8, and masks a full load otherwise.
    public static func ipAddress(_ field: NFTAddressField, in prefix: IPPrefix, negated: Bool = false) -> [NFTExpression] {
        let family = prefix.family
        let op: NFTComparison.Operator = negated ? .notEqual : .equal
        let network = prefix.network.address.bytes
        let offset = field.offset(in: family)
        if prefix.length == family.addressBits { return ipAddress(field, equals: prefix.address, negated: negated) }
        // 0.0.0.0/0 (::/0) holds every address: nft drops the test (a load of no bytes
        // is invalid); its negation, true of none, keeps a masked load.
        if prefix.length == 0, !negated { return [] }
        if prefix.length % 8 == 0, prefix.length > 0 {
            let count = prefix.length / 8
            return [.payload(NFTPayload(base: .network, offset: offset, length: UInt32(count))),
                    .compare(NFTComparison(op, Array(network[0..<count])))]
        }
        let mask = (0..<family.addressBytes).map { index -> UInt8 in
            let bits = min(8, max(0, prefix.length - Int(index) * 8))
            return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
        return [.payload(NFTPayload(base: .network, offset: offset, length: UInt32(family.addressBytes))),
                .bitwise(NFTBitwise(mask: mask, xor: [UInt8](repeating: 0, count: mask.count))),
                .compare(NFTComparison(op, network))]
    }

    public static func ipAddress(_ field: NFTAddressField, in prefix: IPv4Prefix, negated: Bool = false) -> [NFTExpression] {
        ipAddress(field, in: .v4(prefix), negated: negated)
    }

    /// `meta l4proto PROTOCOL`.
    public static func layer4Protocol(equals number: UInt8) -> [NFTExpression] {
        [.metaLoad(.l4proto, into: NFTRegister.first), .compare(NFTComparison(.equal, [number]))]
    }

    /// `meta nfproto ipv4`: the packet's address family, in an inet table.
    public static func networkProtocol(equals family: UInt8) -> [NFTExpression] {
        [.metaLoad(.nfproto, into: NFTRegister.first), .compare(NFTComparison(.equal, [family]))]
    }

    /// NFPROTO_IPV4 and NFPROTO_IPV6, as `meta nfproto` loads them.
    public static let nfprotoIPv4: UInt8 = 2
    public static let nfprotoIPv6: UInt8 = 10

    /// `th dport PORT`.
    public static func destinationPort(equals port: UInt16) -> [NFTExpression] {
        [.payload(NFTPayload(base: .transport, offset: 2, length: 2)),
         .compare(NFTComparison(.equal, NFTValue.inetService(port).bytes))]
    }

    /// `th dport >= FIRST th dport <= LAST`: ports are big-endian, and the kernel
    /// compares register bytes in order, so the comparison is numeric.
    public static func destinationPort(in range: ClosedRange<UInt16>) -> [NFTExpression] {
        [.payload(NFTPayload(base: .transport, offset: 2, length: 2)),
         .compare(NFTComparison(.greaterOrEqual, NFTValue.inetService(range.lowerBound).bytes)),
         .compare(NFTComparison(.lessOrEqual, NFTValue.inetService(range.upperBound).bytes))]
    }

    /// `ct state new` (any of the given state bits).
    public static func conntrackState(_ bits: UInt32) -> [NFTExpression] {
        [.conntrackLoad(.state, into: NFTRegister.first),
         .bitwise(NFTBitwise(mask: hostBytes(bits), xor: hostBytes(0))),
         .compare(NFTComparison(.notEqual, hostBytes(0)))]
    }

    /// `meta mark set meta mark | BITS`.
    public static func markSetting(_ bits: UInt32) -> [NFTExpression] {
        [.metaLoad(.mark, into: NFTRegister.first),
         .bitwise(NFTBitwise(mask: hostBytes(~bits), xor: hostBytes(bits))),
         .metaSet(.mark, from: NFTRegister.first)]
    }

    /// `meta mark set meta mark ^ BITS`.
    public static func markToggling(_ bits: UInt32) -> [NFTExpression] {
        [.metaLoad(.mark, into: NFTRegister.first),
         .bitwise(NFTBitwise(mask: hostBytes(UInt32.max), xor: hostBytes(bits))),
         .metaSet(.mark, from: NFTRegister.first)]
    }

    /// `meta mark & BITS == 0`.
    public static func markClear(_ bits: UInt32) -> [NFTExpression] {
        [.metaLoad(.mark, into: NFTRegister.first),
         .bitwise(NFTBitwise(mask: hostBytes(bits), xor: hostBytes(0))),
         .compare(NFTComparison(.equal, hostBytes(0)))]
    }

    /// `ip daddr . meta l4proto . th dport`: the service tuple, in three 4-byte registers.
    public static let serviceTuple: [NFTExpression] = serviceTuple(.ipv4)

    /// The service tuple of `family`: `ip6 daddr` fills four 4-byte registers, and the
    /// protocol and port follow it.
    public static func serviceTuple(_ family: AddressFamily) -> [NFTExpression] {
        let words = family.addressBytes / 4
        return [
            .payload(NFTPayload(base: .network, offset: NFTAddressField.destination.offset(in: family), length: UInt32(family.addressBytes),
                                into: NFTRegister.word(0))),
            .metaLoad(.l4proto, into: NFTRegister.word(words)),
            .payload(NFTPayload(base: .transport, offset: 2, length: 2, into: NFTRegister.word(words + 1))),
        ]
    }

    /// `KEY vmap @SET`, the key loaded from register 1 on.
    public static func verdictMap(_ set: NFTSetReference) -> NFTExpression {
        .lookup(NFTLookup(source: NFTRegister.first, set: set, destination: NFTRegister.verdict))
    }

    /// `KEY @SET`.
    public static func setMembership(_ name: String, negated: Bool = false) -> NFTExpression {
        .lookup(NFTLookup(source: NFTRegister.first, set: .named(name), inverted: negated))
    }

    /// `numgen random mod N vmap { 0 : VERDICT, … }`.
    public static func randomChoice(_ verdicts: [NFTVerdict]) -> [NFTExpression] {
        let elements = verdicts.enumerated().map { index, verdict in
            NFTSetElement(key: [.integer(UInt32(index))], data: .verdict(verdict))
        }
        return [.numberGenerator(NFTNumberGenerator(modulus: UInt32(verdicts.count))),
                verdictMap(.anonymous(NFTAnonymousSet(keyType: [.integer], dataType: .verdict, elements: elements)))]
    }

    /// `meta l4proto . th dport`: a NodePort's key, in two 4-byte registers.
    public static let protocolAndPort: [NFTExpression] = [
        .metaLoad(.l4proto, into: NFTRegister.word(0)),
        .payload(NFTPayload(base: .transport, offset: 2, length: 2, into: NFTRegister.word(1))),
    ]

    /// `fib saddr type local` / `fib daddr type local`: the address is one of this host's.
    public static func addressIsLocal(_ field: NFTAddressField) -> [NFTExpression] {
        [.fib(NFTFib(result: .addressType, flags: field == .source ? NFTFib.sourceAddress : NFTFib.destinationAddress)),
         .compare(NFTComparison(.equal, hostBytes(NFTFib.local)))]
    }

    /// `update @SET { ip saddr }`: the client's address remembered (or refreshed) in SET.
    public static func rememberSource(in set: String, family: AddressFamily = .ipv4) -> [NFTExpression] {
        ipAddressLoad(.source, family: family) + [.dynamicSetUpdate(NFTDynamicSetUpdate(set: set))]
    }

    /// `dnat to ADDRESS:PORT` (`dnat to [ADDRESS]:PORT` in IPv6): the address in
    /// register 1 (all four words of it for IPv6), the port in register 2.
    public static func destinationNAT(to address: IPAddress, port: UInt16) -> [NFTExpression] {
        [.immediate(register: NFTRegister.word(0), data: .value(address.bytes)),
         .immediate(register: 2, data: .value(hostBytes16BigEndianPadded(port))),
         .nat(NFTNat(kind: .dnat, family: NFTFamily(address.family), addressRegister: NFTRegister.word(0), portRegister: 2,
                     flags: NFTNat.protoSpecified))]
    }

    public static func destinationNAT(to address: IPv4Address, port: UInt16) -> [NFTExpression] {
        destinationNAT(to: .v4(address), port: port)
    }

    /// A 32-bit value as the kernel holds it in a register (host order).
    public static func hostBytes(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    /// A port in network order, as nft puts it in a NAT register: two bytes.
    static func hostBytes16BigEndianPadded(_ port: UInt16) -> [UInt8] {
        [UInt8(port >> 8), UInt8(port & 0xff)]
    }
}

/// The address fields of the IP header rules match on, at their offsets in each
/// family's header.
public enum NFTAddressField: Sendable {
    case source
    case destination

    public func offset(in family: AddressFamily) -> UInt32 {
        switch (self, family) {
        case (.source, .ipv4): return 12
        case (.destination, .ipv4): return 16
        case (.source, .ipv6): return 8
        case (.destination, .ipv6): return 24
        }
    }
}

extension AddressFamily {
    /// 4 or 16: an address's size in a header, a register and a set key.
    public var addressBytes: Int { self == .ipv4 ? 4 : 16 }
}

extension NFTFamily {
    /// The table family of one address family: `ip` or `ip6`.
    public init(_ family: AddressFamily) {
        self = family == .ipv4 ? .ip : .ip6
    }

    /// The address family of an `ip` or `ip6` table; nil for the others.
    public var addressFamily: AddressFamily? {
        switch self {
        case .ip: return .ipv4
        case .ip6: return .ipv6
        default: return nil
        }
    }
}
