import CMNL
import Glibc
import PodnetKernelModel

/// Parts of a table, as `nfTableParts` reads them back.
public struct NFTableParts: Sendable, Equatable {
    /// Each chain's rules, by chain name.
    public var chains: [String: [NFTRule]] = [:]
    public var sets: [String: NFTSet] = [:]

    public init() {}
}

/// One table as a GETTABLE reply reports it (`nfTableListing`).
public struct NFTableListing: Sendable, Equatable {
    /// NFPROTO_* (NFTFamily's raw values).
    public var family: UInt8
    public var name: String
    public var comment: String?
}

extension NetlinkConnection {
    /// Reads one nf_tables table whole, as the model: nil when it does not exist.
    /// (The connection's socket must be a netfilter one, opened in the table's
    /// namespace.)
    ///
    /// One GET and three dumps (chains, sets, rules), then one dump of elements per
    /// set: anonymous sets are read too, and put back inside the rules using them.
    public func nfTable(_ id: NFTable.ID) throws(NetlinkError) -> NFTable? {
        let request = NFTablesBatch.getTable(id)
        let tableReplies: [NetlinkMessage]
        do {
            tableReplies = try execute(request)
        } catch let error where error.kernelError?.code == ENOENT {
            return nil
        }
        let newTable = NFTablesMessageType.newTable
        guard let tableMessage = tableReplies.first(where: { $0.type == newTable }) else { return nil }
        let tableReply = try parse(request.summary) { () throws(NetlinkParseError) in try NFTablesReplies.table(tableMessage) }
        return try nfTable(id, comment: tableReply.comment)
    }

    /// The namespace's nf_tables ruleset generation (NFT_MSG_GETGEN). It moves on with
    /// every committed transaction, whoever makes it and whatever table it touches: an
    /// unchanged generation means an unchanged ruleset.
    public func nfGeneration() throws(NetlinkError) -> UInt32 {
        let request = NFTablesBatch.getGeneration()
        let replies = try execute(request)
        let generation = try parse(request.summary) { () throws(NetlinkParseError) -> UInt32? in
            guard let message = replies.first(where: { $0.type == NFTablesMessageType.newGeneration }) else { return nil }
            return try message.attributes(afterHeaderOfSize: NFTablesMessageType.headerSize)[NFTA_GEN_ID.rawValue]?.u32BigEndian()
        }
        guard let generation else {
            throw .malformedReply(.truncated(what: "NFT_MSG_NEWGEN with NFTA_GEN_ID", needed: 4, available: 0), request: request.summary)
        }
        return generation
    }

    /// Every table of the namespace (of every family), with its comment: one dump
    /// that says at once whether a table exists and whether iptables-nft made its own.
    public func nfTableListing() throws(NetlinkError) -> [NFTableListing] {
        try decodeAll(NFTablesBatch.dumpTables(), type: NFTablesMessageType.newTable, NFTablesReplies.table)
    }

    /// Reads the contents of table `id`, known to exist with `comment` (from a listing).
    public func nfTable(_ id: NFTable.ID, comment: String?) throws(NetlinkError) -> NFTable {
        var table = NFTable(id: id, comment: comment)

        for reply in try decodeAll(NFTablesBatch.dumpChains(id), type: NFTablesMessageType.newChain, NFTablesReplies.chain)
        where reply.table == id.name {
            table.insert(reply.chain)
        }

        // Sets with their elements; anonymous ones kept aside for the rules.
        var anonymous: [String: NFTAnonymousSet] = [:]
        for definition in try setDefinitions(of: id).values {
            let elements = try self.elements(of: definition, in: id)
            if definition.isAnonymous {
                anonymous[definition.name] = NFTAnonymousSet(keyType: definition.keyType ?? [], dataType: definition.dataType, elements: elements)
            } else {
                table.insert(Self.set(definition, elements: elements))
            }
        }

        for reply in try decodeAll(NFTablesBatch.dumpRules(id), type: NFTablesMessageType.newRule, NFTablesReplies.rule)
        where reply.table == id.name {
            table.chains[reply.chain]?.rules.append(Self.resolvingAnonymousSets(reply.rule) { anonymous[$0] })
        }
        return table
    }

    /// Parts of table `id`, read back without the rest of it: the rules of each of
    /// `chains`, and each of the named `sets` with its elements; a chain or set that
    /// does not exist is absent from the result. What a transaction wrote, checked in a
    /// few round trips where the whole table takes thousands.
    public func nfTableParts(_ id: NFTable.ID, chains: [String], sets: [String]) throws(NetlinkError) -> NFTableParts {
        // Sets are asked for one by one: the table's list of them counts an anonymous
        // one per rule with a `{ … }`, a thousand in a large proxy table.
        var parts = NFTableParts()
        for name in sets {
            guard let definition = try setDefinition(name, of: id), !definition.isAnonymous else { continue }
            parts.sets[name] = Self.set(definition, elements: try elements(of: definition, in: id))
        }
        for name in chains {
            do {
                _ = try execute(NFTablesBatch.getChain(name, in: id))
            } catch let error where error.kernelError?.code == ENOENT {
                continue
            }
            var rules: [NFTRule] = []
            for reply in try decodeAll(NFTablesBatch.dumpRules(id, chain: name), type: NFTablesMessageType.newRule, NFTablesReplies.rule)
            where reply.table == id.name && reply.chain == name {
                rules.append(try Self.resolvingAnonymousSets(reply.rule) { (set: String) throws(NetlinkError) -> NFTAnonymousSet? in
                    guard let definition = try setDefinition(set, of: id), definition.isAnonymous else { return nil }
                    return NFTAnonymousSet(keyType: definition.keyType ?? [], dataType: definition.dataType,
                                           elements: try elements(of: definition, in: id))
                })
            }
            parts.chains[name] = rules
        }
        return parts
    }

    /// One set's definition, nil when the table has no such set.
    private func setDefinition(_ name: String, of id: NFTable.ID) throws(NetlinkError) -> NFTablesReplies.SetDefinition? {
        let request = NFTablesBatch.getSet(name, in: id)
        let replies: [NetlinkMessage]
        do {
            replies = try execute(request)
        } catch let error where error.kernelError?.code == ENOENT {
            return nil
        }
        guard let message = replies.first(where: { $0.type == NFTablesMessageType.newSet }) else { return nil }
        return try parse(request.summary) { () throws(NetlinkParseError) in try NFTablesReplies.set(message) }
    }

    /// The table's sets (named and anonymous) by name, without their elements.
    private func setDefinitions(of id: NFTable.ID) throws(NetlinkError) -> [String: NFTablesReplies.SetDefinition] {
        var definitions: [String: NFTablesReplies.SetDefinition] = [:]
        for definition in try decodeAll(NFTablesBatch.dumpSets(id), type: NFTablesMessageType.newSet, NFTablesReplies.set)
        where definition.table == id.name {
            definitions[definition.name] = definition
        }
        return definitions
    }

    /// A set's elements; none for a key type podnet does not model.
    /// A set the packet path fills (`flags dynamic`) is not dumped: its elements are the
    /// kernel's (clients remembered for session affinity), never planned.
    private func elements(of definition: NFTablesReplies.SetDefinition, in id: NFTable.ID) throws(NetlinkError) -> [NFTSetElement] {
        guard definition.flags & NFTSetFlags.dynamic.rawValue == 0 else { return [] }
        let request = NFTablesBatch.dumpElements(of: definition.name, in: id)
        let batches = try decodeAll(request, type: NFTablesMessageType.newSetElement, NFTablesReplies.elements)
        guard let keyType = definition.keyType else { return [] }
        var elements: [NFTSetElement] = []
        for batch in batches where batch.set == definition.name {
            for element in batch.elements {
                guard let key = NFTSetElement.key(type: keyType, bytes: element.key) else { continue }
                elements.append(NFTSetElement(key: key, data: element.data))
            }
        }
        return elements
    }

    /// A named set as the model has it. A set podnet cannot describe reads back with an
    /// empty key type, so that a diff replaces it.
    private static func set(_ definition: NFTablesReplies.SetDefinition, elements: [NFTSetElement]) -> NFTSet {
        NFTSet(name: definition.name, keyType: definition.keyType ?? [], dataType: definition.dataType,
               flags: NFTSetFlags(rawValue: definition.flags & ~NFTSetFlags.derived),
               timeoutMilliseconds: definition.timeoutMilliseconds, comment: definition.comment, elements: elements)
    }

    /// `rule` with each lookup of an anonymous set (which the kernel reports by name,
    /// `__map0`) holding the set itself, as the model writes it.
    private static func resolvingAnonymousSets<E: Error>(
        _ rule: NFTRule, _ anonymous: (String) throws(E) -> NFTAnonymousSet?
    ) throws(E) -> NFTRule {
        var rule = rule
        for index in rule.expressions.indices {
            guard case .lookup(var lookup) = rule.expressions[index], case .named(let name) = lookup.set,
                  let set = try anonymous(name) else { continue }
            lookup.set = .anonymous(set)
            rule.expressions[index] = .lookup(lookup)
        }
        return rule
    }

    private func decodeAll<T>(
        _ request: NetlinkRequest, type: UInt16, _ decode: (NetlinkMessage) throws(NetlinkParseError) -> T
    ) throws(NetlinkError) -> [T] {
        var decoded: [T] = []
        for message in try dump(request) where message.type == type {
            decoded.append(try parse(request.summary) { () throws(NetlinkParseError) in try decode(message) })
        }
        return decoded
    }
}

/// The ruleset generation's arithmetic, as nf_tables does it.
public enum NFTablesGeneration {
    /// The generation a transaction committed at `generation` leaves: the next one,
    /// never 0 (the kernel skips it when the counter wraps; 0 in NFNL_BATCH_GENID
    /// means "do not check").
    public static func after(_ generation: UInt32) -> UInt32 {
        generation == .max ? 1 : generation + 1
    }
}
