import PodnetAddress

/// The expression sequences nft compiles its common statements to, so that a rule
/// podnet builds is the very rule `nft add rule …` would make from the same text
/// (and reads back identically from either).
extension NFTExpression {
    /// `ip saddr ADDRESS` / `ip daddr ADDRESS` (`!=` with `negated`).
    public static func ipAddress(_ field: IPv4Field, equals address: IPv4Address, negated: Bool = false) -> [NFTExpression] {
        [.payload(NFTPayload(base: .network, offset: field.offset, length: 4)),
         .compare(NFTComparison(negated ? .notEqual : .equal, address.bytes))]
    }

    /// `ip saddr` / `ip daddr` loaded into register 1, for a lookup.
    public static func ipAddressLoad(_ field: IPv4Field) -> [NFTExpression] {
        [.payload(NFTPayload(base: .network, offset: field.offset, length: 4))]
    }

    /// `ip saddr PREFIX`: nft loads only the prefix's whole bytes when the length is a
    /// multiple of 8, and masks a full load otherwise.
    public static func ipAddress(_ field: IPv4Field, in prefix: IPv4Prefix, negated: Bool = false) -> [NFTExpression] {
        let op: NFTComparison.Operator = negated ? .notEqual : .equal
        let network = prefix.network.address.bytes
        if prefix.length == 32 { return ipAddress(field, equals: prefix.address, negated: negated) }
        // 0.0.0.0/0 holds every address: nft drops the test (a load of no bytes is
        // invalid); its negation, true of none, keeps a masked load.
        if prefix.length == 0, !negated { return [] }
        if prefix.length % 8 == 0, prefix.length > 0 {
            let count = prefix.length / 8
            return [.payload(NFTPayload(base: .network, offset: field.offset, length: UInt32(count))),
                    .compare(NFTComparison(op, Array(network[0..<count])))]
        }
        return [.payload(NFTPayload(base: .network, offset: field.offset, length: 4)),
                .bitwise(NFTBitwise(mask: IPv4Address(prefix.mask).bytes, xor: [0, 0, 0, 0])),
                .compare(NFTComparison(op, network))]
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
    public static let serviceTuple: [NFTExpression] = [
        .payload(NFTPayload(base: .network, offset: IPv4Field.destination.offset, length: 4, into: NFTRegister.word(0))),
        .metaLoad(.l4proto, into: NFTRegister.word(1)),
        .payload(NFTPayload(base: .transport, offset: 2, length: 2, into: NFTRegister.word(2))),
    ]

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
    public static func addressIsLocal(_ field: IPv4Field) -> [NFTExpression] {
        [.fib(NFTFib(result: .addressType, flags: field == .source ? NFTFib.sourceAddress : NFTFib.destinationAddress)),
         .compare(NFTComparison(.equal, hostBytes(NFTFib.local)))]
    }

    /// `update @SET { ip saddr }`: the client's address remembered (or refreshed) in SET.
    public static func rememberSource(in set: String) -> [NFTExpression] {
        ipAddressLoad(.source) + [.dynamicSetUpdate(NFTDynamicSetUpdate(set: set))]
    }

    /// `dnat to ADDRESS:PORT`.
    public static func destinationNAT(to address: IPv4Address, port: UInt16) -> [NFTExpression] {
        [.immediate(register: NFTRegister.word(0), data: .value(address.bytes)),
         .immediate(register: 2, data: .value(hostBytes16BigEndianPadded(port))),
         .nat(NFTNat(kind: .dnat, family: .ip, addressRegister: NFTRegister.word(0), portRegister: 2,
                     flags: NFTNat.protoSpecified))]
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

/// The IPv4 header fields rules match on.
public enum IPv4Field: Sendable {
    case source
    case destination

    public var offset: UInt32 {
        switch self {
        case .source: return 12
        case .destination: return 16
        }
    }
}
