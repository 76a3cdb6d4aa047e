import PodnetKernelModel
import PodnetPlan

/// iptables changes (iptables proxy mode): one iptables-restore (ip6tables-restore)
/// transaction per namespace and family.
extension PlanExecutor {
    /// Each namespace's operations of a family as one iptables-restore transaction,
    /// run by a touring thread inside it (the current namespace's from this thread).
    func applyIPTables(_ changes: [(IPTablesChange, IPTablesScope)]) throws(ApplyError) {
        let grouped = Dictionary(grouping: changes, by: \.1)
        for (scope, items) in grouped.sorted(by: { $0.key < $1.key }) {
            let script = IPTablesChange.restoreInput(for: items.map(\.0))
            let failing = "\(scope.family.iptablesCommand)-restore --noflush in \(scope.namespace)"
            do {
                switch scope.namespace {
                case .current:
                    try IPTablesDriver.restore(script, family: scope.family)
                case .named(let name):
                    let outcome = try NamespaceTour.visit([try handle(name)]) { _ in try IPTablesDriver.restore(script, family: scope.family) }
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
