import PodnetKernelModel
import PodnetPlan

/// Sysctls, written from inside each namespace.
extension PlanExecutor {
    /// /proc/sys/net shows the namespace of the thread that opens the file, so the
    /// writes happen on the touring thread, inside each namespace in turn.
    func writeSysctls(_ sysctls: [Sysctl]) throws(ApplyError) {
        var work: [String: [Sysctl]] = [:]
        var tour: [NetnsHandle] = []
        // The caller's thread is in the current namespace: its sysctls are written from here.
        for sysctl in sysctls where sysctl.id.namespace == .current {
            try attempt(.init(.setSysctl(sysctl), reason: "")) { try SysctlFile.write(try SysctlKey(sysctl.id.key), sysctl.value) }
        }
        let named = sysctls.filter { $0.id.namespace != .current }
        for (namespace, items) in Dictionary(grouping: named, by: \.id.namespace).sorted(by: { $0.key < $1.key }) {
            let handle = try handle(try name(of: namespace))
            tour.append(handle)
            work[handle.path] = items
        }
        let outcomes: [Result<Void, any Error>]
        do {
            outcomes = try NamespaceTour.visit(tour) { [work] handle in
                for sysctl in work[handle.path] ?? [] {
                    try SysctlFile.write(try SysctlKey(sysctl.id.key), sysctl.value)
                }
            }
        } catch {
            throw ApplyError(operation: "writing sysctls", reason: "\(error)")
        }
        for (handle, outcome) in zip(tour, outcomes) {
            if case .failure(let error) = outcome {
                let sysctl = work[handle.path]!.first!
                throw ApplyError(operation: CommandRenderer.commands(for: .setSysctl(sysctl)).first ?? "sysctl", reason: "\(error)")
            }
        }
    }
}
