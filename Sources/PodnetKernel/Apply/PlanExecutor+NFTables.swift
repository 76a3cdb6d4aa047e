import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

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
            do {
                // Guarded where every table changed has a commit (the proxy's `ip` and
                // `ip6` tables); NetworkPolicy's `inet` table has none, and is unguarded.
                try NFTablesDriver(connection: netfilter[key]!).apply(changes, as: nftCommits, store: nftRecordStore)
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
