import PodnetKernelModel
import PodnetPlan

/// IPVS changes (ipvs proxy mode): one generic netlink batch per namespace.
extension PlanExecutor {
    /// Each namespace's changes as one pipelined generic netlink batch, in plan order;
    /// the first refusal stops the apply, named as its `ipvsadm` command.
    func applyIPVS(_ changes: [IPVSChange]) throws(ApplyError) {
        var order: [NamespaceRef] = []
        var byNamespace: [NamespaceRef: [IPVSChange]] = [:]
        for change in changes {
            let namespace = change.service.namespace
            if byNamespace[namespace] == nil { order.append(namespace) }
            byNamespace[namespace, default: []].append(change)
        }
        let missing = order.filter { ipvs[key(of: $0)] == nil }
        if !missing.isEmpty {
            do {
                for driver in try IPVSDriver.open(missing, directory: directory) { ipvs[key(of: driver.namespace)] = driver }
            } catch {
                throw ApplyError(operation: "open generic netlink sockets for IPVS", reason: "\(error)")
            }
        }
        for namespace in order {
            do {
                try ipvs[key(of: namespace)]!.apply(byNamespace[namespace]!)
            } catch {
                guard case .refused(let change, let refusal) = error else {
                    throw ApplyError(operation: "IPVS in \(namespace)", reason: "\(error)")
                }
                let reason = error.missingScheduler.map { "the kernel has no IPVS scheduler '\($0)' (module ip_vs_\($0))" } ?? "\(refusal)"
                throw ApplyError(operation: IPVSCommandRenderer.command(for: change), reason: reason)
            }
        }
    }
}
