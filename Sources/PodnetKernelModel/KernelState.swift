/// Everything of one cluster the kernel holds (read live) or should hold
/// (rendered): the two inputs of the diff. Keyed by identity, so that the
/// same object in both is found in constant time.
public struct KernelState: Sendable, Equatable, Codable {
    public var namespaces: [String: Namespace] = [:]
    public var links: [Link.ID: Link] = [:]
    public var addresses: Set<Address> = []
    public var routes: [Route.ID: Route] = [:]
    public var neighbours: [Neighbour.ID: Neighbour] = [:]
    public var fdb: Set<FDBEntry.ID> = []
    public var sysctls: [Sysctl.ID: Sysctl] = [:]
    /// The service proxy's tables (nftables mode), one per node namespace.
    public var nftTables: [NFTable.ID: NFTable] = [:]
    /// Live only: the nf_tables ruleset generation of the namespace when its podnet
    /// table was read (or found absent); missing when it moved during the read. A
    /// transaction planned from the table carries it, so that the kernel refuses it
    /// if anything committed since.
    public var nftGenerations: [NFTable.ID: NFTablesGenerationStamp] = [:]
    /// Live only: tables not read because a record stands for them (the generation
    /// has not moved since podnet committed what the record describes). The caller,
    /// which renders, puts them in `nftTables` (`NFTablesProxyRenderer.rebuild(recordedAs:desired:current:)`).
    public var nftRecords: [NFTable.ID: NFTablesProxyRecord] = [:]
    /// Live only: for a table rebuilt from its record, the chains in which it may
    /// differ from the desired table; every other chain is the desired one, and a diff
    /// need not compare it (a large table differs in a few chains of thousands).
    public var nftRebuiltChains: [NFTable.ID: Set<String>] = [:]
    /// The service proxy's iptables chains (iptables mode), and its rules in built-in chains.
    public var iptablesChains: [IPTablesChain.ID: IPTablesChain] = [:]
    public var iptablesRules: Set<IPTablesRule> = []
    /// The service proxy's IPVS virtual servers (ipvs mode), with their real servers;
    /// live: only those podnet owns (on the cluster's ClusterIPs).
    public var ipvsServices: [IPVSService.ID: IPVSService] = [:]
    /// Live only: IPVS virtual servers in the cluster's namespaces that are not podnet's
    /// (IPVSOwnership): left alone; the planner refuses to take their place.
    public var foreignIPVSServices: Set<IPVSService.ID> = []
    /// Live only: namespaces named like the cluster's that do not carry its mark.
    /// podnet leaves them alone; the planner refuses to use their names.
    public var unownedNamespaces: Set<String> = []
    /// Live only: namespaces named like the cluster's, unmarked, holding nothing but a
    /// down, unaliased `lo`: what an apply killed between creating a namespace and
    /// marking it leaves. Nothing in them can be lost, so apply may adopt one the
    /// topology wants; destroy still leaves them alone.
    public var emptyUnmarkedNamespaces: Set<String> = []

    public init() {}

    public mutating func insert(_ namespace: Namespace) { namespaces[namespace.name] = namespace }
    public mutating func insert(_ link: Link) { links[link.id] = link }
    public mutating func insert(_ address: Address) { addresses.insert(address) }
    public mutating func insert(_ route: Route) { routes[route.id] = route }
    public mutating func insert(_ neighbour: Neighbour) { neighbours[neighbour.id] = neighbour }
    public mutating func insert(_ entry: FDBEntry) { fdb.insert(entry.id) }
    public mutating func insert(_ sysctl: Sysctl) { sysctls[sysctl.id] = sysctl }
    public mutating func insert(_ table: NFTable) { nftTables[table.id] = table }
    public mutating func insert(_ chain: IPTablesChain) { iptablesChains[chain.id] = chain }
    public mutating func insert(_ rule: IPTablesRule) { iptablesRules.insert(rule) }
    public mutating func insert(_ service: IPVSService) { ipvsServices[service.id] = service }

    public var objectCount: Int {
        namespaces.count + links.count + addresses.count + routes.count + neighbours.count + fdb.count + sysctls.count
            + nftTables.count + iptablesChains.count + iptablesRules.count + ipvsServices.count
    }

    /// Links of one namespace, sorted by name.
    public func links(in namespace: NamespaceRef) -> [Link] {
        links.values.filter { $0.id.namespace == namespace }.sorted { $0.id.name < $1.id.name }
    }
}
