import CMNL
import PodnetKernelModel

/// The messages of one nf_tables transaction, built from the model: what goes
/// between NFNL_MSG_BATCH_BEGIN and NFNL_MSG_BATCH_END (`executeTransaction` adds
/// those). Requests are laid out as nft lays out its own: a rule using an anonymous
/// set is preceded by the set and its elements, tied to the rule by a set id local
/// to the transaction.
///
/// Creations are exclusive (NLM_F_EXCL): the plan was made from what the kernel
/// held, so an object that appeared since is an error, not something to overwrite.
public struct NFTablesBatch: Sendable {
    public private(set) var requests: [NetlinkRequest] = []
    private var nextSetID: UInt32 = 1

    /// Elements per message: a message's element list is one attribute, whose length
    /// is 16 bits.
    public static let elementsPerMessage = 256

    public init() {}

    private static let create = UInt16(NLM_F_CREATE | NLM_F_EXCL)

    private mutating func append(_ type: UInt16, flags: UInt16 = 0, family: NFTFamily, summary: String,
                                 _ body: (inout NetlinkWriter) -> Void) {
        requests.append(NetlinkRequest(type: type, flags: flags, summary: summary) { writer in
            NFTablesMessageType.writeHeader(family: family.rawValue, to: &writer)
            body(&writer)
        })
    }

    // MARK: Tables

    public mutating func addTable(_ id: NFTable.ID, comment: String?) {
        append(NFTablesMessageType.newTable, flags: Self.create, family: id.family, summary: "NFT_MSG_NEWTABLE \(id.family) \(id.name)") { w in
            w.put(NFTA_TABLE_NAME.rawValue, string: id.name)
            w.put(NFTA_TABLE_FLAGS.rawValue, u32BigEndian: 0)
            if let comment {
                w.put(NFTA_TABLE_USERDATA.rawValue, bytes: NFTUserdata.encode([(NFTUserdata.tableComment, NFTUserdata.string(comment))]))
            }
        }
    }

    public mutating func deleteTable(_ id: NFTable.ID) {
        append(NFTablesMessageType.deleteTable, family: id.family, summary: "NFT_MSG_DELTABLE \(id.family) \(id.name)") { w in
            w.put(NFTA_TABLE_NAME.rawValue, string: id.name)
        }
    }

    // MARK: Chains

    /// Creates the chain (its rules are added one by one with `addRule`).
    public mutating func addChain(_ chain: NFTChain, in table: NFTable.ID) {
        append(NFTablesMessageType.newChain, flags: Self.create, family: table.family,
               summary: "NFT_MSG_NEWCHAIN \(table.name) \(chain.name)") { w in
            w.put(NFTA_CHAIN_TABLE.rawValue, string: table.name)
            w.put(NFTA_CHAIN_NAME.rawValue, string: chain.name)
            if let base = chain.base {
                w.put(NFTA_CHAIN_TYPE.rawValue, string: base.type.rawValue)
                w.put(NFTA_CHAIN_POLICY.rawValue, u32BigEndian: base.policy.rawValue)
                w.nftNest(NFTA_CHAIN_HOOK.rawValue) { hook in
                    hook.put(NFTA_HOOK_HOOKNUM.rawValue, u32BigEndian: base.hook.rawValue)
                    hook.put(NFTA_HOOK_PRIORITY.rawValue, i32BigEndian: base.priority)
                }
            }
        }
    }

    /// Deletes the chain with its rules (the kernel refuses while anything refers to it).
    public mutating func deleteChain(_ name: String, in table: NFTable.ID) {
        append(NFTablesMessageType.deleteChain, family: table.family, summary: "NFT_MSG_DELCHAIN \(table.name) \(name)") { w in
            w.put(NFTA_CHAIN_TABLE.rawValue, string: table.name)
            w.put(NFTA_CHAIN_NAME.rawValue, string: name)
        }
    }

    /// Deletes every rule of the chain: NFT_MSG_DELRULE without a handle.
    public mutating func flushChain(_ name: String, in table: NFTable.ID) {
        append(NFTablesMessageType.deleteRule, family: table.family, summary: "NFT_MSG_DELRULE \(table.name) \(name) (flush)") { w in
            w.put(NFTA_RULE_TABLE.rawValue, string: table.name)
            w.put(NFTA_RULE_CHAIN.rawValue, string: name)
        }
    }

    // MARK: Rules

    /// Appends a rule; its anonymous sets are created just before it.
    public mutating func addRule(_ rule: NFTRule, to chain: String, in table: NFTable.ID) {
        var bindings: [Int: NFTExpressionCodec.SetBinding] = [:]
        for (index, expression) in rule.expressions.enumerated() {
            guard case .lookup(let lookup) = expression, case .anonymous(let set) = lookup.set else { continue }
            bindings[index] = addAnonymousSet(set, in: table)
        }
        append(NFTablesMessageType.newRule, flags: UInt16(NLM_F_CREATE | NLM_F_APPEND), family: table.family,
               summary: "NFT_MSG_NEWRULE \(table.name) \(chain)") { w in
            w.put(NFTA_RULE_TABLE.rawValue, string: table.name)
            w.put(NFTA_RULE_CHAIN.rawValue, string: chain)
            w.nftNest(NFTA_RULE_EXPRESSIONS.rawValue) { list in
                for (index, expression) in rule.expressions.enumerated() {
                    NFTExpressionCodec.write(expression, anonymousSet: bindings[index], to: &list)
                }
            }
            if let comment = rule.comment {
                w.put(NFTA_RULE_USERDATA.rawValue, bytes: NFTUserdata.encode([(NFTUserdata.ruleComment, NFTUserdata.string(comment))]))
            }
        }
    }

    private mutating func addAnonymousSet(_ set: NFTAnonymousSet, in table: NFTable.ID) -> NFTExpressionCodec.SetBinding {
        let id = nextSetID
        nextSetID += 1
        let binding = NFTExpressionCodec.SetBinding(name: set.dataType == nil ? "__set%d" : "__map%d", id: id)
        let flags = NFT_SET_ANONYMOUS.rawValue | NFT_SET_CONSTANT.rawValue | (set.dataType == nil ? 0 : NFT_SET_MAP.rawValue)
        append(NFTablesMessageType.newSet, flags: Self.create, family: table.family,
               summary: "NFT_MSG_NEWSET \(table.name) anonymous set \(id)") { w in
            w.put(NFTA_SET_TABLE.rawValue, string: table.name)
            w.put(NFTA_SET_NAME.rawValue, string: binding.name)
            Self.writeDefinition(flags: flags, keyType: set.keyType, dataType: set.dataType, to: &w)
            w.put(NFTA_SET_ID.rawValue, u32BigEndian: id)
            w.nftNest(NFTA_SET_DESC.rawValue) { $0.put(NFTA_SET_DESC_SIZE.rawValue, u32BigEndian: UInt32(set.elements.count)) }
            w.put(NFTA_SET_USERDATA.rawValue, bytes: Self.userdata(keyType: set.keyType, dataType: set.dataType, comment: nil))
        }
        appendElements(set.elements, to: binding, in: table, adding: true)
        return binding
    }

    // MARK: Sets

    /// Creates a named set or map (its elements come with `addElements`).
    public mutating func addSet(_ set: NFTSet, in table: NFTable.ID) {
        var flags = set.flags.rawValue | (set.isMap ? NFT_SET_MAP.rawValue : 0)
        if set.keyType.count > 1 { flags |= NFT_SET_CONCAT.rawValue }
        // The kernel requires a transaction-local id for every new set, named or not.
        let id = nextSetID
        nextSetID += 1
        append(NFTablesMessageType.newSet, flags: Self.create, family: table.family, summary: "NFT_MSG_NEWSET \(table.name) \(set.name)") { w in
            w.put(NFTA_SET_TABLE.rawValue, string: table.name)
            w.put(NFTA_SET_NAME.rawValue, string: set.name)
            Self.writeDefinition(flags: flags, keyType: set.keyType, dataType: set.dataType, to: &w)
            w.put(NFTA_SET_ID.rawValue, u32BigEndian: id)
            if set.keyType.count > 1 {
                // The length of each part of a concatenation, so that the kernel (and
                // `nft list`) knows where one ends and the next begins.
                w.nftNest(NFTA_SET_DESC.rawValue) { description in
                    description.nftNest(NFTA_SET_DESC_CONCAT.rawValue) { concat in
                        for part in set.keyType {
                            concat.nftNest(NFTA_LIST_ELEM.rawValue) { $0.put(NFTA_SET_FIELD_LEN.rawValue, u32BigEndian: UInt32(part.size)) }
                        }
                    }
                }
            }
            if let timeout = set.timeoutMilliseconds { w.put(NFTA_SET_TIMEOUT.rawValue, u64BigEndian: timeout) }
            w.put(NFTA_SET_USERDATA.rawValue, bytes: Self.userdata(keyType: set.keyType, dataType: set.dataType, comment: set.comment))
        }
    }

    public mutating func deleteSet(_ name: String, in table: NFTable.ID) {
        append(NFTablesMessageType.deleteSet, family: table.family, summary: "NFT_MSG_DELSET \(table.name) \(name)") { w in
            w.put(NFTA_SET_TABLE.rawValue, string: table.name)
            w.put(NFTA_SET_NAME.rawValue, string: name)
        }
    }

    public mutating func addElements(_ elements: [NFTSetElement], to set: String, in table: NFTable.ID) {
        appendElements(elements, to: NFTExpressionCodec.SetBinding(name: set, id: nil), in: table, adding: true)
    }

    /// Deletes elements by key.
    public mutating func deleteElements(_ elements: [NFTSetElement], from set: String, in table: NFTable.ID) {
        appendElements(elements.map { NFTSetElement(key: $0.key) }, to: NFTExpressionCodec.SetBinding(name: set, id: nil),
                       in: table, adding: false)
    }

    private mutating func appendElements(_ elements: [NFTSetElement], to set: NFTExpressionCodec.SetBinding,
                                         in table: NFTable.ID, adding: Bool) {
        for start in stride(from: 0, to: elements.count, by: Self.elementsPerMessage) {
            let chunk = elements[start..<min(start + Self.elementsPerMessage, elements.count)]
            let type = adding ? NFTablesMessageType.newSetElement : NFTablesMessageType.deleteSetElement
            let summary = "\(adding ? "NFT_MSG_NEWSETELEM" : "NFT_MSG_DELSETELEM") \(table.name) \(set.id.map { "anonymous set \($0)" } ?? set.name)"
            append(type, flags: adding ? Self.create : 0, family: table.family, summary: summary) { w in
                w.put(NFTA_SET_ELEM_LIST_TABLE.rawValue, string: table.name)
                w.put(NFTA_SET_ELEM_LIST_SET.rawValue, string: set.name)
                if let id = set.id { w.put(NFTA_SET_ELEM_LIST_SET_ID.rawValue, u32BigEndian: id) }
                w.nftNest(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue) { list in
                    for element in chunk {
                        list.nftNest(NFTA_LIST_ELEM.rawValue) { item in
                            NFTExpressionCodec.writeValue(NFTA_SET_ELEM_KEY.rawValue, element.keyBytes, to: &item)
                            if let data = element.data { NFTExpressionCodec.writeData(NFTA_SET_ELEM_DATA.rawValue, data, to: &item) }
                        }
                    }
                }
            }
        }
    }

    private static func writeDefinition(flags: UInt32, keyType: [NFTDataType], dataType: NFTSetDataType?, to w: inout NetlinkWriter) {
        w.put(NFTA_SET_FLAGS.rawValue, u32BigEndian: flags)
        w.put(NFTA_SET_KEY_TYPE.rawValue, u32BigEndian: NFTSet.typeID(of: keyType))
        w.put(NFTA_SET_KEY_LEN.rawValue, u32BigEndian: UInt32(NFTSet.keyLength(of: keyType)))
        if let dataType {
            w.put(NFTA_SET_DATA_TYPE.rawValue, u32BigEndian: dataType.id)
            w.put(NFTA_SET_DATA_LEN.rawValue, u32BigEndian: UInt32(dataType.length))
        }
    }

    /// nft's set userdata: the byte order of keys and data (nft reads it to print
    /// integers), and the comment.
    private static func userdata(keyType: [NFTDataType], dataType: NFTSetDataType?, comment: String?) -> [UInt8] {
        func order(_ types: [NFTDataType]) -> UInt32 {
            // nft's enum byteorder: 0 invalid (a concatenation), 1 host, 2 big endian.
            guard types.count == 1 else { return 0 }
            return types[0].isBigEndian ? 2 : 1
        }
        var records: [(UInt8, [UInt8])] = [(NFTUserdata.setKeyByteOrder, NFTUserdata.u32(order(keyType)))]
        if let dataType {
            let data: UInt32
            switch dataType {
            case .verdict: data = 0
            case .value(let type): data = order([type])
            }
            records.append((NFTUserdata.setDataByteOrder, NFTUserdata.u32(data)))
        }
        if let comment { records.append((NFTUserdata.setComment, NFTUserdata.string(comment))) }
        return NFTUserdata.encode(records.map { (type: $0.0, value: $0.1) })
    }

    // MARK: Reading

    /// NFT_MSG_GETTABLE for one table (ENOENT when there is none).
    public static func getTable(_ id: NFTable.ID) -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getTable, summary: "NFT_MSG_GETTABLE \(id.family) \(id.name)") { w in
            NFTablesMessageType.writeHeader(family: id.family.rawValue, to: &w)
            w.put(NFTA_TABLE_NAME.rawValue, string: id.name)
        }
    }

    /// One set's definition (NFT_MSG_GETSET): ENOENT when it does not exist.
    public static func getSet(_ name: String, in id: NFTable.ID) -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getSet, summary: "NFT_MSG_GETSET \(id.name) \(name)") { w in
            NFTablesMessageType.writeHeader(family: id.family.rawValue, to: &w)
            w.put(NFTA_SET_TABLE.rawValue, string: id.name)
            w.put(NFTA_SET_NAME.rawValue, string: name)
        }
    }

    /// One chain (NFT_MSG_GETCHAIN): ENOENT when it does not exist.
    public static func getChain(_ name: String, in id: NFTable.ID) -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getChain, summary: "NFT_MSG_GETCHAIN \(id.name) \(name)") { w in
            NFTablesMessageType.writeHeader(family: id.family.rawValue, to: &w)
            w.put(NFTA_CHAIN_TABLE.rawValue, string: id.name)
            w.put(NFTA_CHAIN_NAME.rawValue, string: name)
        }
    }

    /// The namespace's ruleset generation (NFT_MSG_GETGEN): a number every committed
    /// nf_tables transaction of the namespace moves on by one.
    public static func getGeneration() -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getGeneration, summary: "NFT_MSG_GETGEN") { w in
            NFTablesMessageType.writeHeader(family: 0, to: &w)
        }
    }

    /// A dump of every table of the namespace, of every family (NFPROTO_UNSPEC).
    public static func dumpTables() -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getTable, summary: "NFT_MSG_GETTABLE dump") { w in
            NFTablesMessageType.writeHeader(family: 0, to: &w)
        }
    }

    /// Dumps of a table's chains (the kernel dumps every chain of the family; the
    /// reader keeps the table's), sets and rules.
    public static func dumpChains(_ id: NFTable.ID) -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getChain, summary: "NFT_MSG_GETCHAIN dump \(id.name)") { w in
            NFTablesMessageType.writeHeader(family: id.family.rawValue, to: &w)
            w.put(NFTA_CHAIN_TABLE.rawValue, string: id.name)
        }
    }

    public static func dumpSets(_ id: NFTable.ID) -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getSet, summary: "NFT_MSG_GETSET dump \(id.name)") { w in
            NFTablesMessageType.writeHeader(family: id.family.rawValue, to: &w)
            w.put(NFTA_SET_TABLE.rawValue, string: id.name)
        }
    }

    /// The table's rules, or one chain's.
    public static func dumpRules(_ id: NFTable.ID, chain: String? = nil) -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getRule, summary: "NFT_MSG_GETRULE dump \(id.name) \(chain ?? "")") { w in
            NFTablesMessageType.writeHeader(family: id.family.rawValue, to: &w)
            w.put(NFTA_RULE_TABLE.rawValue, string: id.name)
            if let chain { w.put(NFTA_RULE_CHAIN.rawValue, string: chain) }
        }
    }

    public static func dumpElements(of set: String, in id: NFTable.ID) -> NetlinkRequest {
        NetlinkRequest(type: NFTablesMessageType.getSetElement, summary: "NFT_MSG_GETSETELEM dump \(id.name) \(set)") { w in
            NFTablesMessageType.writeHeader(family: id.family.rawValue, to: &w)
            w.put(NFTA_SET_ELEM_LIST_TABLE.rawValue, string: id.name)
            w.put(NFTA_SET_ELEM_LIST_SET.rawValue, string: set)
        }
    }
}
