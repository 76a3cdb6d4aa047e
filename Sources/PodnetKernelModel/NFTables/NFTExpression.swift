/// One expression of a rule, in the kernel's terms (the NFTA_EXPR_* of a rule's
/// expression list). Registers are numbered as the kernel reports them: 0 is the
/// verdict register, 1–4 the 16-byte registers, 8–23 the 4-byte ones
/// (NFT_REG32_00…15) that concatenations fill one after another.
public enum NFTExpression: Hashable, Sendable, Codable {
    /// Loads `length` bytes at `offset` from a packet header into a register.
    case payload(NFTPayload)
    /// Loads packet metadata (its mark, its layer-4 protocol) into a register.
    case metaLoad(NFTMetaKey, into: UInt32)
    /// Sets packet metadata from a register (`meta mark set …`).
    case metaSet(NFTMetaKey, from: UInt32)
    /// Loads conntrack state into a register (`ct state`).
    case conntrackLoad(NFTConntrackKey, into: UInt32)
    /// Compares a register with data; a false comparison ends the rule.
    case compare(NFTComparison)
    /// `destination = (source & mask) ^ xor`, on `mask.count` bytes.
    case bitwise(NFTBitwise)
    /// Puts data in a register; a verdict in register 0 is the rule's verdict.
    case immediate(register: UInt32, data: NFTData)
    /// Looks the register(s) up in a set; with a destination, a map (a verdict map
    /// when the destination is register 0).
    case lookup(NFTLookup)
    /// A number from 0 to modulus − 1, random or incrementing (`numgen random mod N`).
    case numberGenerator(NFTNumberGenerator)
    /// Source or destination NAT to the address and port held in registers.
    case nat(NFTNat)
    /// Source NAT to the outgoing interface's address (`masquerade`).
    case masquerade(flags: UInt32)
    /// Drops the packet and answers with an ICMP error or a TCP reset.
    case reject(NFTReject)
    /// Adds the key in a register to a set from the packet path, or refreshes its
    /// timeout (`update @set { ip saddr }`): session affinity's memory.
    case dynamicSetUpdate(NFTDynamicSetUpdate)
    /// A route look-up about the packet (`fib saddr type`): its result in a register.
    case fib(NFTFib)
    /// An expression podnet does not model, kept as its name and raw attributes so
    /// that it survives a read and compares unequal to anything podnet writes.
    case unrecognized(name: String, data: [UInt8])

    /// Verdict-only immediate: the rule's verdict.
    public static func verdict(_ verdict: NFTVerdict) -> NFTExpression {
        .immediate(register: NFTRegister.verdict, data: .verdict(verdict))
    }
}

/// Register numbers, as the kernel reports them in dumps.
public enum NFTRegister {
    public static let verdict: UInt32 = 0
    /// NFT_REG_1: the first 16-byte register (also the first 4-byte one, NFT_REG32_00).
    public static let first: UInt32 = 1
    /// NFT_REG32_00 + n: the n-th 4-byte register. The kernel reports NFT_REG32_00,
    /// 04, 08 and 12 as NFT_REG_1…4.
    public static func word(_ n: Int) -> UInt32 {
        n % 4 == 0 ? UInt32(n / 4 + 1) : UInt32(8 + n)
    }
}

public struct NFTPayload: Hashable, Sendable, Codable {
    public enum Base: UInt32, Hashable, Sendable, Codable {
        case link = 0
        case network = 1
        case transport = 2
        case inner = 3
    }

    public var base: Base
    public var offset: UInt32
    public var length: UInt32
    public var destination: UInt32

    public init(base: Base, offset: UInt32, length: UInt32, into destination: UInt32 = NFTRegister.first) {
        self.base = base
        self.offset = offset
        self.length = length
        self.destination = destination
    }
}

/// NFT_META_* keys.
public struct NFTMetaKey: RawRepresentable, Hashable, Sendable, Codable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let length = NFTMetaKey(rawValue: 0)
    public static let `protocol` = NFTMetaKey(rawValue: 1)
    public static let mark = NFTMetaKey(rawValue: 3)
    public static let inputInterface = NFTMetaKey(rawValue: 4)
    public static let outputInterface = NFTMetaKey(rawValue: 5)
    public static let inputInterfaceName = NFTMetaKey(rawValue: 6)
    public static let outputInterfaceName = NFTMetaKey(rawValue: 7)
    public static let nfproto = NFTMetaKey(rawValue: 15)
    public static let l4proto = NFTMetaKey(rawValue: 16)
}

/// NFT_CT_* keys.
public struct NFTConntrackKey: RawRepresentable, Hashable, Sendable, Codable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let state = NFTConntrackKey(rawValue: 0)
    public static let direction = NFTConntrackKey(rawValue: 1)
    public static let status = NFTConntrackKey(rawValue: 2)
    public static let mark = NFTConntrackKey(rawValue: 3)

    /// Bits of `ct state` (NF_CT_STATE_*_BIT): new is 8.
    public static let stateInvalid: UInt32 = 1
    public static let stateEstablished: UInt32 = 2
    public static let stateRelated: UInt32 = 4
    public static let stateNew: UInt32 = 8
}

public struct NFTComparison: Hashable, Sendable, Codable {
    /// NFT_CMP_*.
    public enum Operator: UInt32, Hashable, Sendable, Codable {
        case equal = 0
        case notEqual = 1
        case less = 2
        case lessOrEqual = 3
        case greater = 4
        case greaterOrEqual = 5
    }

    public var register: UInt32
    public var op: Operator
    public var data: [UInt8]

    public init(register: UInt32 = NFTRegister.first, _ op: Operator, _ data: [UInt8]) {
        self.register = register
        self.op = op
        self.data = data
    }
}

public struct NFTBitwise: Hashable, Sendable, Codable {
    public var source: UInt32
    public var destination: UInt32
    public var mask: [UInt8]
    public var xor: [UInt8]

    public init(source: UInt32 = NFTRegister.first, destination: UInt32 = NFTRegister.first, mask: [UInt8], xor: [UInt8]) {
        precondition(mask.count == xor.count, "bitwise mask and xor differ in length")
        self.source = source
        self.destination = destination
        self.mask = mask
        self.xor = xor
    }
}

public struct NFTLookup: Hashable, Sendable, Codable {
    public var source: UInt32
    public var set: NFTSetReference
    /// Where a map puts the element's data; register 0 for a verdict map; nil for a set.
    public var destination: UInt32?
    /// `!= @set`: the rule goes on when the key is absent (NFT_LOOKUP_F_INV).
    public var inverted: Bool

    public init(source: UInt32 = NFTRegister.first, set: NFTSetReference, destination: UInt32? = nil, inverted: Bool = false) {
        self.source = source
        self.set = set
        self.destination = destination
        self.inverted = inverted
    }
}

/// The set a lookup uses: a named set of the table, or an anonymous one written
/// inside the rule (created and deleted with it).
public enum NFTSetReference: Hashable, Sendable, Codable {
    case named(String)
    case anonymous(NFTAnonymousSet)
}

/// A constant set that belongs to one rule, like `{ 0 : goto a, 1 : goto b }`.
public struct NFTAnonymousSet: Hashable, Sendable, Codable {
    public var keyType: [NFTDataType]
    public var dataType: NFTSetDataType?
    public var elements: [NFTSetElement]

    public init(keyType: [NFTDataType], dataType: NFTSetDataType? = nil, elements: [NFTSetElement]) {
        self.keyType = keyType
        self.dataType = dataType
        self.elements = elements.sorted()
    }
}

public struct NFTNumberGenerator: Hashable, Sendable, Codable {
    public enum Kind: UInt32, Hashable, Sendable, Codable {
        case incremental = 0
        case random = 1
    }

    public var destination: UInt32
    public var modulus: UInt32
    public var kind: Kind
    public var offset: UInt32

    public init(into destination: UInt32 = NFTRegister.first, modulus: UInt32, kind: Kind = .random, offset: UInt32 = 0) {
        self.destination = destination
        self.modulus = modulus
        self.kind = kind
        self.offset = offset
    }
}

public struct NFTNat: Hashable, Sendable, Codable {
    public enum Kind: UInt32, Hashable, Sendable, Codable {
        case snat = 0
        case dnat = 1
    }

    public var kind: Kind
    public var family: NFTFamily
    public var addressRegister: UInt32?
    public var portRegister: UInt32?
    /// NF_NAT_RANGE_* flags beyond what the registers imply (the kernel adds
    /// MAP_IPS itself when an address register is given, and PROTO_SPECIFIED is
    /// what nft sends with a port).
    public var flags: UInt32

    public init(kind: Kind, family: NFTFamily = .ip, addressRegister: UInt32? = nil, portRegister: UInt32? = nil, flags: UInt32 = 0) {
        self.kind = kind
        self.family = family
        self.addressRegister = addressRegister
        self.portRegister = portRegister
        self.flags = flags
    }

    /// NF_NAT_RANGE_MAP_IPS.
    public static let mapIPs: UInt32 = 0x1
    /// NF_NAT_RANGE_PROTO_SPECIFIED.
    public static let protoSpecified: UInt32 = 0x2
    /// NF_NAT_RANGE_PROTO_RANDOM_FULLY (`fully-random`).
    public static let fullyRandom: UInt32 = 0x10
}

/// `update @SET { KEY }` (NFT_DYNSET_OP_UPDATE): the kernel adds the key with the set's
/// timeout, or restarts the timeout of a key already there.
public struct NFTDynamicSetUpdate: Hashable, Sendable, Codable {
    public var source: UInt32
    public var set: String
    /// The element's timeout in milliseconds; 0 takes the set's own.
    public var timeoutMilliseconds: UInt64

    public init(source: UInt32 = NFTRegister.first, set: String, timeoutMilliseconds: UInt64 = 0) {
        self.source = source
        self.set = set
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// A FIB look-up (`fib saddr type`, `fib daddr type`): which address of the packet is
/// looked up, and what the result is.
public struct NFTFib: Hashable, Sendable, Codable {
    /// NFT_FIB_RESULT_*.
    public enum Result: UInt32, Hashable, Sendable, Codable {
        case outputInterface = 1
        case outputInterfaceName = 2
        case addressType = 3
    }

    public var destination: UInt32
    public var result: Result
    /// NFTA_FIB_F_* bits.
    public var flags: UInt32

    public init(into destination: UInt32 = NFTRegister.first, result: Result, flags: UInt32) {
        self.destination = destination
        self.result = result
        self.flags = flags
    }

    /// NFTA_FIB_F_SADDR: look up the source address.
    public static let sourceAddress: UInt32 = 0x1
    /// NFTA_FIB_F_DADDR: look up the destination address.
    public static let destinationAddress: UInt32 = 0x2
    /// RTN_LOCAL: an address type result meaning "an address of this host".
    public static let local: UInt32 = 2
}

import PodnetAddress

public struct NFTReject: Hashable, Sendable, Codable {
    /// NFT_REJECT_*.
    public enum Kind: UInt32, Hashable, Sendable, Codable {
        case icmpUnreachable = 0
        case tcpReset = 1
        case icmpxUnreachable = 2
    }

    public var kind: Kind
    public var code: UInt8

    public init(kind: Kind, code: UInt8) {
        self.kind = kind
        self.code = code
    }

    /// What `reject` alone means in family ip: ICMP port unreachable. A TCP client
    /// sees ECONNREFUSED at once.
    public static let portUnreachable = NFTReject(kind: .icmpUnreachable, code: 3)
    /// What `reject` alone means in family ip6: ICMPv6 port unreachable (code 4).
    public static let portUnreachableIPv6 = NFTReject(kind: .icmpUnreachable, code: 4)

    /// `reject` alone in the table of `family`.
    public static func portUnreachable(_ family: AddressFamily) -> NFTReject {
        family == .ipv4 ? portUnreachable : portUnreachableIPv6
    }
    public static let tcpReset = NFTReject(kind: .tcpReset, code: 0)
}
