import PodnetAddress

/// A named set or map of a table: `set cluster-ips { type ipv4_addr }`, or
/// `map service-ips { type ipv4_addr . inet_proto . inet_service : verdict }`.
public struct NFTSet: Hashable, Sendable, Codable {
    public var name: String
    /// One type, or several for a concatenation (`ipv4_addr . inet_proto . inet_service`).
    public var keyType: [NFTDataType]
    /// nil for a set; the element data's type for a map.
    public var dataType: NFTSetDataType?
    public var flags: NFTSetFlags
    /// The default timeout of elements, in milliseconds (`timeout 3h`); nil: none.
    public var timeoutMilliseconds: UInt64?
    public var comment: String?
    /// Kept sorted by key, so that two sets with the same elements compare equal.
    public var elements: [NFTSetElement] {
        didSet { elements.sort() }
    }

    public init(name: String, keyType: [NFTDataType], dataType: NFTSetDataType? = nil, flags: NFTSetFlags = [],
                timeoutMilliseconds: UInt64? = nil, comment: String? = nil, elements: [NFTSetElement] = []) {
        self.name = name
        self.keyType = keyType
        self.dataType = dataType
        self.flags = flags
        self.timeoutMilliseconds = timeoutMilliseconds
        self.comment = comment
        self.elements = elements.sorted()
    }

    /// The same set without its elements: what "add set" creates.
    public var definition: NFTSet {
        var set = self
        set.elements = []
        return set
    }

    public var isMap: Bool { dataType != nil }

    /// Whether the packet path fills the set (`flags dynamic`, from `update @set`
    /// statements): its elements are the kernel's, never podnet's to plan, so they are
    /// neither read nor compared.
    public var isFilledByPackets: Bool { flags.contains(.dynamic) }

    /// The key's size in bytes: each part of a concatenation takes whole 4-byte registers.
    public static func keyLength(of type: [NFTDataType]) -> Int {
        type.count == 1 ? type[0].size : type.reduce(0) { $0 + NFTDataType.registerAligned($1.size) }
    }

    /// nft's type id of a key: a concatenation packs its parts' ids 6 bits apart.
    public static func typeID(of type: [NFTDataType]) -> UInt32 {
        type.reduce(0) { $0 << 6 | $1.id }
    }

    /// The parts of a key type id; nil when one of them is not a type podnet knows.
    public static func keyType(typeID: UInt32, length: Int) -> [NFTDataType]? {
        var ids: [UInt32] = []
        var rest = typeID
        repeat {
            ids.insert(rest & 0x3f, at: 0)
            rest >>= 6
        } while rest != 0
        let types = ids.compactMap { NFTDataType(id: $0) }
        guard types.count == ids.count, keyLength(of: types) == length else { return nil }
        return types
    }
}

/// NFT_SET_* flags a user chooses; the ones the kernel derives (map, anonymous,
/// concatenation) follow from the rest of the definition.
public struct NFTSetFlags: OptionSet, Hashable, Sendable, Codable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let constant = NFTSetFlags(rawValue: 0x2)
    public static let interval = NFTSetFlags(rawValue: 0x4)
    public static let timeout = NFTSetFlags(rawValue: 0x10)
    public static let dynamic = NFTSetFlags(rawValue: 0x20)

    /// The flags the kernel reports that podnet derives instead of storing.
    public static let derived: UInt32 = 0x1 | 0x8 | 0x40 | 0x80
}

/// The data of a map.
public enum NFTSetDataType: Hashable, Sendable, Codable {
    case verdict
    case value(NFTDataType)

    /// NFT_DATA_VERDICT, or the value type's nft type id.
    public var id: UInt32 {
        switch self {
        case .verdict: return 0xffff_ff00
        case .value(let type): return type.id
        }
    }

    /// Verdict data has no fixed length in a set definition (NFTA_SET_DATA_LEN 0).
    public var length: Int {
        switch self {
        case .verdict: return 0
        case .value(let type): return type.size
        }
    }
}

/// The nft data types podnet uses, with nft's type ids (nftables' enum datatypes).
public enum NFTDataType: String, Hashable, Sendable, Codable, CaseIterable {
    case integer
    case ipv4Address = "ipv4_addr"
    case ipv6Address = "ipv6_addr"
    case inetProto = "inet_proto"
    case inetService = "inet_service"
    case mark

    public var id: UInt32 {
        switch self {
        case .integer: return 4
        case .ipv4Address: return 7
        case .ipv6Address: return 8
        case .inetProto: return 12
        case .inetService: return 13
        case .mark: return 19
        }
    }

    public init?(id: UInt32) {
        guard let type = Self.allCases.first(where: { $0.id == id }) else { return nil }
        self = type
    }

    /// Size in bytes of one value. podnet's integers are 32 bits wide.
    public var size: Int {
        switch self {
        case .integer, .ipv4Address, .mark: return 4
        case .ipv6Address: return 16
        case .inetProto: return 1
        case .inetService: return 2
        }
    }

    /// Whether values are in network byte order (nft's BYTEORDER_BIG_ENDIAN) or host order.
    public var isBigEndian: Bool {
        switch self {
        case .ipv4Address, .ipv6Address, .inetService: return true
        case .integer, .mark, .inetProto: return false
        }
    }

    /// `ipv4_addr` or `ipv6_addr`.
    public static func address(_ family: AddressFamily) -> NFTDataType {
        family == .ipv4 ? .ipv4Address : .ipv6Address
    }

    /// The name nft uses in `type …`.
    public var nftName: String { rawValue }

    static func registerAligned(_ size: Int) -> Int { (size + 3) & ~3 }
}

/// One value of a key or of map data.
public enum NFTValue: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    case ipv4(IPv4Address)
    case ipv6(IPv6Address)
    case inetProto(UInt8)
    case inetService(UInt16)
    case integer(UInt32)
    case mark(UInt32)

    public var type: NFTDataType {
        switch self {
        case .ipv4: return .ipv4Address
        case .ipv6: return .ipv6Address
        case .inetProto: return .inetProto
        case .inetService: return .inetService
        case .integer: return .integer
        case .mark: return .mark
        }
    }

    /// The bytes as the kernel holds them (network order for addresses and ports,
    /// host order for integers and marks).
    public var bytes: [UInt8] {
        switch self {
        case .ipv4(let address): return address.bytes
        case .ipv6(let address): return address.bytes
        case .inetProto(let number): return [number]
        case .inetService(let port): return [UInt8(port >> 8), UInt8(port & 0xff)]
        case .integer(let value), .mark(let value): return withUnsafeBytes(of: value) { Array($0) }
        }
    }

    /// Reads a value of `type` from exactly `type.size` bytes.
    public init?(type: NFTDataType, bytes: some Collection<UInt8>) {
        if type == .ipv6Address {
            guard let address = IPv6Address(bytes: bytes) else { return nil }
            self = .ipv6(address)
            return
        }
        guard bytes.count == type.size, type.size <= 4 else { return nil }
        // The bytes as one big-endian number (no array made: a read decodes thousands).
        let number = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        switch type {
        case .ipv4Address: self = .ipv4(IPv4Address(number))
        case .ipv6Address: return nil
        case .inetProto: self = .inetProto(UInt8(number))
        case .inetService: self = .inetService(UInt16(number))
        // Integers and marks are in host order: their memory, read big-endian, is this.
        case .integer: self = .integer(UInt32(bigEndian: number))
        case .mark: self = .mark(UInt32(bigEndian: number))
        }
    }

    /// nft's text: `10.96.0.2`, `tcp`, `8080`, `0x00004000`.
    public var description: String {
        switch self {
        case .ipv4(let address): return address.description
        case .ipv6(let address): return address.description
        case .inetProto(let number):
            switch number {
            case 6: return "tcp"
            case 17: return "udp"
            case 1: return "icmp"
            case 132: return "sctp"
            default: return String(number)
            }
        case .inetService(let port): return String(port)
        case .integer(let value): return String(value)
        case .mark(let value): return NFTValue.hex32(value)
        }
    }

    static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The order of `bytes`, compared byte by byte.
    public static func < (lhs: NFTValue, rhs: NFTValue) -> Bool {
        // Two IPv6 addresses compare as their bytes do: most significant half first.
        if case .ipv6(let a) = lhs, case .ipv6(let b) = rhs { return a < b }
        guard lhs.type.size == rhs.type.size, lhs.type.size <= 4 else { return lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
        return lhs.bytesAsNumber < rhs.bytesAsNumber
    }

    /// `bytes` read as one big-endian number: for values of one size up to 4 bytes,
    /// comparing these orders them as comparing the bytes would, without making the
    /// arrays (sets of a thousand services are sorted on every read and render). An
    /// IPv6 address gives its first 4 bytes only: `<` compares those whole.
    var bytesAsNumber: UInt32 {
        switch self {
        case .ipv4(let address): return address.value
        case .ipv6(let address): return UInt32(truncatingIfNeeded: address.high >> 32)
        case .inetProto(let number): return UInt32(number)
        case .inetService(let port): return UInt32(port)
        case .integer(let value), .mark(let value): return UInt32(bigEndian: value)
        }
    }

    /// An address of either family, as the key of an `ipv4_addr` or `ipv6_addr` set.
    public static func address(_ address: IPAddress) -> NFTValue {
        switch address {
        case .v4(let address): return .ipv4(address)
        case .v6(let address): return .ipv6(address)
        }
    }

    /// The address held, if the value is one.
    public var address: IPAddress? {
        switch self {
        case .ipv4(let address): return .v4(address)
        case .ipv6(let address): return .v6(address)
        default: return nil
        }
    }

    public static let tcp = NFTValue.inetProto(6)
    public static let udp = NFTValue.inetProto(17)
}

/// One element of a set or map: its key (one value per part of the key type) and,
/// in a map, its data.
public struct NFTSetElement: Hashable, Sendable, Codable, Comparable {
    public var key: [NFTValue]
    public var data: NFTData?

    public init(key: [NFTValue], data: NFTData? = nil) {
        self.key = key
        self.data = data
    }

    /// The key's bytes as a set of this key type holds them: a concatenation pads each
    /// part to a whole register.
    public var keyBytes: [UInt8] {
        if key.count == 1 { return key[0].bytes }
        return key.flatMap { value -> [UInt8] in
            let bytes = value.bytes
            return bytes + [UInt8](repeating: 0, count: NFTDataType.registerAligned(bytes.count) - bytes.count)
        }
    }

    /// Reads a key of `type` from the bytes a set holds; nil when they do not fit.
    public static func key(type: [NFTDataType], bytes: some Collection<UInt8>) -> [NFTValue]? {
        guard bytes.count == NFTSet.keyLength(of: type) else { return nil }
        if type.count == 1 { return NFTValue(type: type[0], bytes: bytes).map { [$0] } }
        var values: [NFTValue] = []
        values.reserveCapacity(type.count)
        var rest = bytes[...]
        for part in type {
            guard let value = NFTValue(type: part, bytes: rest.prefix(part.size)) else { return nil }
            values.append(value)
            rest = rest.dropFirst(NFTDataType.registerAligned(part.size))
        }
        return values
    }

    /// The order of `keyBytes`. Keys of one set have the same parts, each padded to a
    /// register, so comparing part by part gives that order without making the bytes.
    public static func < (lhs: NFTSetElement, rhs: NFTSetElement) -> Bool {
        guard lhs.key.count == rhs.key.count,
              zip(lhs.key, rhs.key).allSatisfy({ $0.type.size == $1.type.size }) else {
            return lhs.keyBytes.lexicographicallyPrecedes(rhs.keyBytes)
        }
        for (left, right) in zip(lhs.key, rhs.key) {
            if case .ipv6(let a) = left, case .ipv6(let b) = right {
                if a != b { return a < b }
                continue
            }
            let (a, b) = (left.bytesAsNumber, right.bytesAsNumber)
            if a != b { return a < b }
        }
        return false
    }
}
