import CMNL

/// nfnetlink framing for nf_tables: message types carry the subsystem in their high
/// byte, every message starts with struct nfgenmsg, and integer attributes are in
/// network byte order (unlike rtnetlink's).
public enum NFTablesMessageType {
    /// NFNL_SUBSYS_NFTABLES.
    public static let subsystem: UInt16 = 10
    /// NFNL_MSG_BATCH_BEGIN / NFNL_MSG_BATCH_END: the frame of a transaction.
    public static let batchBegin: UInt16 = 0x10
    public static let batchEnd: UInt16 = 0x11

    /// The nfnetlink message type of an NFT_MSG_* message.
    static func type(_ message: nf_tables_msg_types) -> UInt16 {
        subsystem << 8 | UInt16(message.rawValue)
    }

    static let newTable = type(NFT_MSG_NEWTABLE)
    static let getTable = type(NFT_MSG_GETTABLE)
    static let deleteTable = type(NFT_MSG_DELTABLE)
    static let newChain = type(NFT_MSG_NEWCHAIN)
    static let getChain = type(NFT_MSG_GETCHAIN)
    static let deleteChain = type(NFT_MSG_DELCHAIN)
    static let newRule = type(NFT_MSG_NEWRULE)
    static let getRule = type(NFT_MSG_GETRULE)
    static let deleteRule = type(NFT_MSG_DELRULE)
    static let newSet = type(NFT_MSG_NEWSET)
    static let getSet = type(NFT_MSG_GETSET)
    static let deleteSet = type(NFT_MSG_DELSET)
    static let newSetElement = type(NFT_MSG_NEWSETELEM)
    static let getSetElement = type(NFT_MSG_GETSETELEM)
    static let deleteSetElement = type(NFT_MSG_DELSETELEM)
    static let newGeneration = type(NFT_MSG_NEWGEN)
    static let getGeneration = type(NFT_MSG_GETGEN)

    /// struct nfgenmsg: family, version (NFNETLINK_V0), resource id in network order.
    static func writeHeader(family: UInt8, resourceID: UInt16 = 0, to writer: inout NetlinkWriter) {
        writer.append(family)
        writer.append(UInt8(NFNETLINK_V0))
        writer.append(resourceID.bigEndian)
    }

    static let headerSize = 4
}

/// Attribute helpers for nf_tables' network-order integers.
extension NetlinkWriter {
    mutating func put(_ type: some BinaryInteger, u32BigEndian value: UInt32) {
        attribute(type) { $0.append(value.bigEndian) }
    }

    mutating func put(_ type: some BinaryInteger, i32BigEndian value: Int32) {
        attribute(type) { $0.append(value.bigEndian) }
    }

    /// NLA_U64 in network order (timeouts in milliseconds).
    mutating func put(_ type: some BinaryInteger, u64BigEndian value: UInt64) {
        attribute(type) { $0.append(value.bigEndian) }
    }

    /// A nest flagged NLA_F_NESTED, as nft writes every nf_tables nest.
    mutating func nftNest(_ type: some BinaryInteger, _ body: (inout NetlinkWriter) throws -> Void) rethrows {
        try nest(type, nestedFlag: true, body)
    }
}

extension NetlinkAttribute {
    func u32BigEndian() throws(NetlinkParseError) -> UInt32 { UInt32(bigEndian: try u32()) }
    func i32BigEndian() throws(NetlinkParseError) -> Int32 { Int32(bitPattern: UInt32(bigEndian: try u32())) }
    func u64BigEndian() throws(NetlinkParseError) -> UInt64 {
        guard payload.count == 8 else { throw .wrongAttributeSize(type: type, expected: 8, actual: payload.count) }
        return UInt64(bigEndian: payload.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    }
    var bytes: [UInt8] { Array(payload) }
}

/// The type-length-value records nft keeps in a table's, set's, rule's or element's
/// userdata (libnftnl's nftnl_udata: one byte of type, one of length, the value).
enum NFTUserdata {
    static func encode(_ records: [(type: UInt8, value: [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = []
        for record in records {
            bytes.append(record.type)
            bytes.append(UInt8(min(record.value.count, 255)))
            bytes.append(contentsOf: record.value.prefix(255))
        }
        return bytes
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8: ArraySlice<UInt8>] {
        var records: [UInt8: ArraySlice<UInt8>] = [:]
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 2 {
            let type = bytes[offset], length = Int(bytes[offset + 1])
            guard bytes.endIndex - offset - 2 >= length else { break }
            records[type] = bytes[(offset + 2)..<(offset + 2 + length)]
            offset += 2 + length
        }
        return records
    }

    /// A NUL-terminated string value, as nft writes comments.
    static func string(_ text: String) -> [UInt8] { Array(text.utf8.prefix(252)) + [0] }

    static func string(from value: ArraySlice<UInt8>?) -> String? {
        guard let value else { return nil }
        let end = value.firstIndex(of: 0) ?? value.endIndex
        return String(decoding: value[value.startIndex..<end], as: UTF8.self)
    }

    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

    // libnftnl's record types.
    static let tableComment: UInt8 = 0
    static let ruleComment: UInt8 = 0
    static let setKeyByteOrder: UInt8 = 0
    static let setDataByteOrder: UInt8 = 1
    static let setComment: UInt8 = 7
}
