import PodnetKernelModel

/// The service proxy's state, each kind diffed by its own differ: nf_tables tables
/// (nftables mode, and ipvs mode's hairpin and reject rules), iptables chains and
/// rules (iptables mode), IPVS virtual servers (ipvs mode).
extension Planner {
    /// iptables: podnet's chains (KUBE-*, PODNET-*) and its jumps in built-in chains,
    /// per namespace and family (iptables, ip6tables), diffed by IPTablesDiff (a chain
    /// rewritten whole only where its order matters; KUBE-SERVICES and the jumps rule
    /// by rule). A namespace's changes of one family are one iptables-restore transaction.
    func planIPTables(desired: KernelState, live: KernelState, gone: (NamespaceRef) -> Bool,
                      into operations: inout [PlannedOperation]) {
        for scope in desired.iptablesScopes.union(live.iptablesScopes).sorted() {
            let current = gone(scope.namespace) ? IPTablesRuleset() : live.iptablesRuleset(in: scope)
            let wanted = desired.iptablesRuleset(in: scope)
            // What goes with a deleted namespace needs no change of its own.
            if gone(scope.namespace), desired.iptablesChains.isEmpty, desired.iptablesRules.isEmpty { continue }
            let reason = current.isEmpty ? "missing" : wanted.isEmpty ? "not in the topology" : "differs from the topology"
            for change in IPTablesDiff.changes(live: current, desired: wanted) {
                operations.append(.init(.iptables(change, namespace: scope.namespace, family: scope.family), reason: reason))
            }
        }
    }

    /// IPVS: the virtual servers of each namespace, diffed by IPVSDiff (services by
    /// protocol, address and port; real servers one by one). `live` holds only the
    /// services podnet owns (the reader's filter); those in a namespace being deleted
    /// go with it.
    func planIPVS(desired: KernelState, live: KernelState, gone: (NamespaceRef) -> Bool,
                  into operations: inout [PlannedOperation]) {
        let current = live.ipvsServices.values.filter { !gone($0.id.namespace) }
        let namespaces = Set(current.map(\.id.namespace)).union(desired.ipvsServices.keys.map(\.namespace))
        for namespace in namespaces.sorted() {
            let changes = IPVSDiff.changes(live: current.filter { $0.id.namespace == namespace },
                                           desired: desired.ipvsServices.values.filter { $0.id.namespace == namespace })
            for change in changes {
                operations.append(.init(.ipvs(change), reason: Self.reason(for: change, live: live)))
            }
        }
    }

    static func reason(for change: IPVSChange, live: KernelState) -> String {
        switch change {
        case .addService: return "missing"
        case .deleteService: return "not in the topology"
        case .editService(let service):
            let current = live.ipvsServices[service.id]
            var changes: [String] = []
            if let current, current.scheduler != service.scheduler { changes.append("scheduler \(current.scheduler) → \(service.scheduler)") }
            if let current, current.flags != service.flags || current.timeout != service.timeout { changes.append("persistence differs") }
            return changes.isEmpty ? "differs from the topology" : changes.joined(separator: ", ")
        case .addDestination: return "endpoint missing"
        case .editDestination(let id, let destination):
            let current = live.ipvsServices[id]?.destination(destination.id)
            if let current, current.weight != destination.weight { return "weight \(current.weight) → \(destination.weight)" }
            return "differs from the topology"
        case .deleteDestination: return "not an endpoint in the topology"
        }
    }

    /// nf_tables: podnet's table of this cluster in each namespace (owned by its
    /// name, `podnet-CLUSTER`), diffed chain by chain and element by element. A table
    /// in a namespace being deleted goes with it.
    func planTables(desired: KernelState, live: KernelState, gone: (NamespaceRef) -> Bool,
                    into operations: inout [PlannedOperation]) {
        let ownedLive = live.nftTables.filter { NFTable.cluster(ownerOf: $0.key.name) == cluster && !gone($0.key.namespace) }
        for id in Set(ownedLive.keys).union(desired.nftTables.keys).sorted() {
            let current = ownedLive[id]
            let wanted = desired.nftTables[id]
            let differing = live.nftRebuiltChains[id]
            if differing == nil { guard current != wanted else { continue } }   // far cheaper than a diff that finds nothing
            let reason = current == nil ? "missing" : wanted == nil ? "not in the topology" : "differs from the topology"
            for change in NFTablesDiff.changes(live: current, desired: wanted, differingChains: differing) {
                operations.append(.init(.nftables(change), reason: reason))
            }
        }
    }
}
