import CMNL

/// One NFT_MSG_TRACE notification (NFNLGRP_NFTRACE): a packet carrying the nftrace
/// mark (`meta nftrace set 1`) met a rule, left a regular chain, or reached a base
/// chain's policy — what `nft monitor trace` prints.
public struct NFTraceEvent: Equatable, Sendable {
    public enum Kind: UInt32, Sendable {
        case unspecified = 0
        /// The base chain's policy decided.
        case policy = 1
        /// The packet fell off the end of a regular chain.
        case `return` = 2
        /// A rule matched.
        case rule = 3
    }

    /// NFPROTO_* of the table (the nfgenmsg's family).
    public var family: UInt8
    public var table: String
    public var chain: String
    public var kind: Kind
    /// The verdict code (NF_ACCEPT 1, NF_DROP 0, NFT_CONTINUE -1, NFT_JUMP -3, …), where given.
    public var verdict: Int32?
    /// A jump's or goto's chain.
    public var verdictChain: String?
    /// The same for every event of one packet.
    public var packetID: UInt32
    /// The rule's handle; nil for an event no rule stands for (the kernel reports a
    /// regular chain run out, and the caller going on, as rule events without one).
    public var ruleHandle: UInt64?

    /// A rule that matched (not a chain's end, nor a policy).
    public var isRuleMatch: Bool { kind == .rule && ruleHandle != nil }

    public init(family: UInt8, table: String, chain: String, kind: Kind, verdict: Int32? = nil,
                verdictChain: String? = nil, packetID: UInt32 = 0) {
        self.family = family
        self.table = table
        self.chain = chain
        self.kind = kind
        self.verdict = verdict
        self.verdictChain = verdictChain
        self.packetID = packetID
    }

    /// The trace events of a datagram from an NFNLGRP_NFTRACE socket; others skipped.
    public static func events(in datagram: ArraySlice<UInt8>) throws(NetlinkParseError) -> [NFTraceEvent] {
        var events: [NFTraceEvent] = []
        for message in try NetlinkMessageIterator.messages(in: datagram) where message.type == NFTablesMessageType.type(NFT_MSG_TRACE) {
            let attributes = try message.attributes(afterHeaderOfSize: NFTablesMessageType.headerSize)
            let kind = try attributes[NFTA_TRACE_TYPE.rawValue]?.u32BigEndian() ?? 0
            var event = NFTraceEvent(family: message.payload.first ?? 0,
                                     table: attributes[NFTA_TRACE_TABLE.rawValue]?.string() ?? "",
                                     chain: attributes[NFTA_TRACE_CHAIN.rawValue]?.string() ?? "",
                                     kind: Kind(rawValue: kind) ?? .unspecified,
                                     packetID: try attributes[NFTA_TRACE_ID.rawValue]?.u32BigEndian() ?? 0)
            if let handle = attributes[NFTA_TRACE_RULE_HANDLE.rawValue], handle.payload.count == 8 {
                event.ruleHandle = handle.payload.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            }
            if let verdict = try attributes[NFTA_TRACE_VERDICT.rawValue]?.nested() {
                event.verdict = try verdict[NFTA_VERDICT_CODE.rawValue]?.i32BigEndian()
                event.verdictChain = verdict[NFTA_VERDICT_CHAIN.rawValue]?.string()
            }
            events.append(event)
        }
        return events
    }
}

/// NFNLGRP_NFTRACE: the trace events of marked packets.
extension NetlinkMulticastGroup {
    public static let nftablesTrace = NetlinkMulticastGroup(bus: .netfilter, number: UInt32(NFNLGRP_NFTRACE.rawValue), name: "NFNLGRP_NFTRACE")
}
