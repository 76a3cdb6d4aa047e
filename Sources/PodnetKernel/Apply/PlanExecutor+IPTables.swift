import PodnetKernelModel
import PodnetPlan

/// iptables changes (iptables proxy mode): one iptables-restore transaction per namespace.
extension PlanExecutor {
    /// Each namespace's operations as one iptables-restore transaction, run by a
    /// touring thread inside it (the current namespace's from this thread).
    func applyIPTables(_ changes: [(IPTablesChange, NamespaceRef)]) throws(ApplyError) {
        let grouped = Dictionary(grouping: changes, by: \.1)
        for (namespace, items) in grouped.sorted(by: { $0.key < $1.key }) {
            let script = IPTablesChange.restoreInput(for: items.map(\.0))
            let failing = "iptables-restore --noflush in \(namespace)"
            do {
                switch namespace {
                case .current:
                    try IPTablesDriver.restore(script)
                case .named(let name):
                    let outcome = try NamespaceTour.visit([try handle(name)]) { _ in try IPTablesDriver.restore(script) }
                    try outcome[0].get()
                }
            } catch let error as ApplyError {
                throw error
            } catch {
                throw ApplyError(operation: failing, reason: "\(error)")
            }
        }
    }
}
