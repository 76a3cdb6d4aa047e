import PodnetKernelModel
import PodnetNetlink

/// Everything read from one namespace, as the kernel reported it.
struct NamespaceSnapshot: Sendable {
    var name: String
    var links: [LinkMessage]
    var addresses: [AddressMessage]
    var routes: [RouteMessage]
    var neighbours: [NeighbourMessage]
    var forwardingEntries: [NeighbourMessage]
    var sysctls: [String: String]
    /// The cluster's nf_tables table, where one was looked for and found.
    var nftTables: [NFTable] = []
    /// The cluster's proxy tables as records stand for them, instead of read (`LiveStateReader.NFTablesRecords`).
    var nftRecords: [(NFTable.ID, NFTablesProxyRecord)] = []
    /// The ruleset generation each proxy table is known at: every recorded one, and
    /// those read whole if the ruleset held still while they were read.
    var nftGenerations: [(NFTable.ID, NFTablesGenerationStamp)] = []
    /// podnet's iptables chains and jump rules, where the namespace had iptables state.
    var iptablesChains: [IPTablesChain] = []
    var iptablesRules: [IPTablesRule] = []
    /// The IPVS virtual servers podnet owns (IPVSOwnership), where the kernel has IPVS
    /// loaded, and the identities of the others.
    var ipvsServices: [IPVSService] = []
    var foreignIPVSServices: [IPVSService.ID] = []
}
