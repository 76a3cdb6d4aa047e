import CMNL
import PodnetKernelModel

/// What the kernel reports of each nf_tables object, decoded from NFT_MSG_NEW*
/// messages (dump replies and GET answers).
enum NFTablesReplies {
    struct Chain {
        var table: String
        var chain: NFTChain
    }

    struct SetDefinition {
        var table: String
        var name: String
        var flags: UInt32
        /// nil when the key type is not one podnet models.
        var keyType: [NFTDataType]?
        var dataType: NFTSetDataType?
        var hasData: Bool
        var timeoutMilliseconds: UInt64?
        var comment: String?

        var isAnonymous: Bool { flags & NFT_SET_ANONYMOUS.rawValue != 0 }
    }

    struct Rule {
        var table: String
        var chain: String
        var rule: NFTRule
    }

    struct Elements {
        var set: String
        var elements: [(key: [UInt8], data: NFTData?)]
    }

    static let headerSize = NFTablesMessageType.headerSize

    /// The family is the nfgenmsg's (NFPROTO_*), the payload's first byte.
    static func table(_ message: NetlinkMessage) throws(NetlinkParseError) -> NFTableListing {
        let attributes = try message.attributes(afterHeaderOfSize: headerSize)
        let userdata = attributes[NFTA_TABLE_USERDATA.rawValue].map { NFTUserdata.decode($0.payload) } ?? [:]
        return NFTableListing(family: message.payload.first ?? 0, name: attributes[NFTA_TABLE_NAME.rawValue]?.string() ?? "",
                     comment: NFTUserdata.string(from: userdata[NFTUserdata.tableComment]))
    }

    static func chain(_ message: NetlinkMessage) throws(NetlinkParseError) -> Chain {
        let attributes = try message.attributes(afterHeaderOfSize: headerSize)
        var chain = NFTChain(name: attributes[NFTA_CHAIN_NAME.rawValue]?.string() ?? "")
        if let hook = try attributes[NFTA_CHAIN_HOOK.rawValue]?.nested(),
           let number = try hook[NFTA_HOOK_HOOKNUM.rawValue]?.u32BigEndian(),
           let priority = try hook[NFTA_HOOK_PRIORITY.rawValue]?.i32BigEndian() {
            // Hooks and types of other families (netdev ingress, route) are not podnet's;
            // they read back as something podnet never writes, so a diff replaces them.
            let type = attributes[NFTA_CHAIN_TYPE.rawValue].flatMap { NFTBaseChain.ChainType(rawValue: $0.string()) } ?? .route
            let policy = try attributes[NFTA_CHAIN_POLICY.rawValue]?.u32BigEndian() ?? 1
            chain.base = NFTBaseChain(type: type, hook: NFTBaseChain.Hook(rawValue: number) ?? .prerouting, priority: priority,
                                      policy: policy == 0 ? .drop : .accept)
        }
        return Chain(table: attributes[NFTA_CHAIN_TABLE.rawValue]?.string() ?? "", chain: chain)
    }

    static func set(_ message: NetlinkMessage) throws(NetlinkParseError) -> SetDefinition {
        let attributes = try message.attributes(afterHeaderOfSize: headerSize)
        let flags = try attributes[NFTA_SET_FLAGS.rawValue]?.u32BigEndian() ?? 0
        let keyTypeID = try attributes[NFTA_SET_KEY_TYPE.rawValue]?.u32BigEndian() ?? 0
        let keyLength = try attributes[NFTA_SET_KEY_LEN.rawValue]?.u32BigEndian() ?? 0
        var dataType: NFTSetDataType?
        let dataTypeID = try attributes[NFTA_SET_DATA_TYPE.rawValue]?.u32BigEndian()
        if let dataTypeID {
            if dataTypeID == NFTSetDataType.verdict.id {
                dataType = .verdict
            } else if let type = NFTDataType(id: dataTypeID) {
                dataType = .value(type)
            }
        }
        let userdata = attributes[NFTA_SET_USERDATA.rawValue].map { NFTUserdata.decode($0.payload) } ?? [:]
        return SetDefinition(table: attributes[NFTA_SET_TABLE.rawValue]?.string() ?? "",
                             name: attributes[NFTA_SET_NAME.rawValue]?.string() ?? "",
                             flags: flags,
                             keyType: NFTSet.keyType(typeID: keyTypeID, length: Int(keyLength)),
                             dataType: dataType, hasData: dataTypeID != nil,
                             timeoutMilliseconds: try attributes[NFTA_SET_TIMEOUT.rawValue]?.u64BigEndian(),
                             comment: NFTUserdata.string(from: userdata[NFTUserdata.setComment]))
    }

    static func rule(_ message: NetlinkMessage) throws(NetlinkParseError) -> Rule {
        let attributes = try message.attributes(afterHeaderOfSize: headerSize)
        var expressions: [NFTExpression] = []
        if let list = try attributes[NFTA_RULE_EXPRESSIONS.rawValue]?.nested() {
            for element in list.every(NFTA_LIST_ELEM.rawValue) {
                expressions.append(try NFTExpressionCodec.read(element))
            }
        }
        let userdata = attributes[NFTA_RULE_USERDATA.rawValue].map { NFTUserdata.decode($0.payload) } ?? [:]
        return Rule(table: attributes[NFTA_RULE_TABLE.rawValue]?.string() ?? "",
                    chain: attributes[NFTA_RULE_CHAIN.rawValue]?.string() ?? "",
                    rule: NFTRule(expressions, comment: NFTUserdata.string(from: userdata[NFTUserdata.ruleComment])))
    }

    static func elements(_ message: NetlinkMessage) throws(NetlinkParseError) -> Elements {
        let attributes = try message.attributes(afterHeaderOfSize: headerSize)
        var elements: [(key: [UInt8], data: NFTData?)] = []
        if let list = try attributes[NFTA_SET_ELEM_LIST_ELEMENTS.rawValue]?.nested() {
            for item in list.every(NFTA_LIST_ELEM.rawValue) {
                let element = try item.nested()
                guard case .value(let key)? = try NFTExpressionCodec.readData(element[NFTA_SET_ELEM_KEY.rawValue]) else { continue }
                elements.append((key, try NFTExpressionCodec.readData(element[NFTA_SET_ELEM_DATA.rawValue])))
            }
        }
        return Elements(set: attributes[NFTA_SET_ELEM_LIST_SET.rawValue]?.string() ?? "", elements: elements)
    }
}
