import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// How a table's changes are committed: against the ruleset generation they were
/// planned at (the kernel refuses them if anything committed since), and with the
/// record to keep of the table they leave, so that the next plan need not read it.
public struct NFTablesCommit: Sendable {
    public var plannedAt: NFTablesGenerationStamp?
    public var record: NFTablesProxyRecord?

    public init(plannedAt: NFTablesGenerationStamp?, record: NFTablesProxyRecord?) {
        self.plannedAt = plannedAt
        self.record = record
    }
}

/// nf_tables changes: one atomic transaction per namespace.
extension PlanExecutor {
    /// Each namespace's changes as one atomic transaction, in plan order.
    func applyTableChanges(_ changes: [NFTablesChange]) throws(ApplyError) {
        var order: [String] = []
        var byNamespace: [String: [NFTablesChange]] = [:]
        for change in changes {
            let key = try name(of: change.table.namespace)
            if byNamespace[key] == nil { order.append(key) }
            byNamespace[key, default: []].append(change)
        }
        try openNetfilterConnections(order)
        for key in order {
            let changes = byNamespace[key]!
            let table = changes[0].table
            // One table per namespace is podnet's; a guard applies only to changes all of it.
            let commit = changes.allSatisfy { $0.table == table } ? nftCommits[table] : nil
            // Whatever happens next, an older record no longer describes the table.
            nftRecordStore.remove(table)
            do {
                try NFTablesDriver(connection: netfilter[key]!).apply(changes, generation: commit?.plannedAt?.generation)
                if let stamp = commit?.plannedAt, let cookie = stamp.namespaceCookie, let record = commit?.record {
                    // Best effort: without the record, the next plan reads the table.
                    try? nftRecordStore.save(NFTablesRecordFile(namespaceCookie: cookie,
                                                                generation: NFTablesGeneration.after(stamp.generation), record: record),
                                             for: table)
                }
            } catch {
                let failed = error.change.map { CommandRenderer.commands(for: .nftables($0)).first ?? $0.description }
                throw ApplyError(operation: failed ?? "nf_tables transaction in \(key.isEmpty ? "this namespace" : key)",
                                 reason: "\(error)")
            }
        }
    }

    private func openNetfilterConnections(_ names: [String]) throws(ApplyError) {
        var missing = names.filter { netfilter[$0] == nil }
        do {
            if missing.contains(Self.current) {
                netfilter[Self.current] = NetlinkConnection(socket: try KernelNetlinkSocket(bus: .netfilter))
                missing.removeAll { $0 == Self.current }
            }
            guard !missing.isEmpty else { return }
            var tour: [NetnsHandle] = []
            for name in missing { tour.append(try handle(name)) }
            for (name, socket) in zip(missing, try NamespaceSockets.open(in: tour, bus: .netfilter)) {
                netfilter[name] = NetlinkConnection(socket: socket)
            }
        } catch let error as ApplyError {
            throw error
        } catch {
            throw ApplyError(operation: "open netfilter netlink sockets", reason: "\(error)")
        }
    }
}
