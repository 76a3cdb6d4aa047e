import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetKernel
import PodnetKernelModel
import PodnetPlan

/// Running a plan as `apply` and `watch` both do: the kernel features it needs
/// checked first, the plan run over netlink (nf_tables commits against the generation
/// they were planned at), the kernel read again until nothing differs, and the veths
/// it made waited for until they carry traffic.
enum Reconciliation {
    struct Outcome {
        /// From the first operation to the verified end, the wait for veths included.
        var seconds: Double
        /// Veths still not carrying traffic after the wait ("NAME in NAMESPACE").
        var notUp: [String]
    }

    /// Why a plan did not leave the kernel equal to the file.
    enum Failure: Error {
        /// An operation failed; those before it were applied.
        case partlyApplied(ApplyError)
        /// Every operation succeeded, yet the kernel read again still differs.
        case stillDiffers([PlannedOperation])

        /// For stderr, several lines.
        var text: String {
            switch self {
            case .partlyApplied(let error):
                return "\(error.operation)\n  \(error.reason)"
            case .stillDiffers(let remaining):
                return "after applying, the kernel still differs from the file:\n"
                    + remaining.map { "  \($0.operation.subject): \($0.reason)" }.joined(separator: "\n")
            }
        }
    }

    /// Applies `plan`, made from `state`. A kernel lacking a feature the plan needs
    /// is reported on stderr and throws ExitCode.failure before anything changes.
    /// - Parameter verify: read the kernel again and fail if it still differs. watch
    ///   verifies only plans that delete namespaces (the kernel frees their links
    ///   later, see `remainingPlan`): for the others its next look, at once, is the
    ///   reading again, and a repair is done a read sooner.
    /// - Parameter beforeVerifying: runs once the plan is applied, before the kernel
    ///   is read again (watch forgets there the notifications of its own changes).
    static func apply(_ plan: Plan, from state: ClusterState, verify: Bool = true, progress: @escaping (Int, Int) -> Void = { _, _ in },
                      beforeVerifying: () -> Void = {}) throws -> Outcome {
        try KernelFeatureCheck.require(for: plan, topology: state.topology)
        let start = Date()
        let executor = PlanExecutor()
        executor.nftCommits = state.nftCommits()
        executor.progress = progress
        do {
            try executor.execute(plan)
        } catch {
            throw Failure.partlyApplied(error)
        }
        beforeVerifying()
        if verify {
            let (after, remaining) = try remainingPlan(of: state)
            after.keepRecords(ofTablesUnchangedBy: remaining)
            guard remaining.isEmpty else { throw Failure.stillDiffers(remaining.operations) }
        }
        // The kernel makes a new veth carry traffic a moment later: wait for it, so
        // that whatever runs after apply (a ping, a test) finds the network working.
        // Only a plan that made or changed links can have left one not yet working.
        // Only the namespaces holding those links (and a new veth's other end) are looked at.
        var touched: [NamespaceRef] = []
        for planned in plan.operations {
            switch planned.operation {
            case .addLink(let link, let peer): touched += [link.id.namespace] + (peer.map { [$0.id.namespace] } ?? [])
            case .setLink(let link, _): touched.append(link.id.namespace)
            default: break
            }
        }
        let namespaces = Set(touched.compactMap { if case .named(let name) = $0 { return name } else { return nil } })
        let cluster = state.topology.name
        let notUp = touched.isEmpty ? [] : (try? CarrierWait.untilVethsAreUp(cluster: cluster, host: state.host, in: namespaces)) ?? []
        return Outcome(seconds: Date().timeIntervalSince(start), notUp: notUp)
    }

    /// The plan left after applying. The kernel frees a deleted namespace's links
    /// asynchronously, so a veth end whose peer went with its namespace may outlive
    /// it for a moment: a remainder of link deletions only is read again, for up to
    /// two seconds, before it counts as a difference.
    /// The file is the one `applied` was loaded from, not read again.
    static func remainingPlan(of applied: ClusterState) throws -> (ClusterState, Plan) {
        let (path, file, host) = (applied.file.path, applied.file, applied.host)
        var state = try ClusterState.load(path: path, first: file, quiet: true, host: host)
        var remaining = try state.plan()
        for _ in 0..<40 where !remaining.isEmpty && remaining.operations.allSatisfy({
            if case .deleteLink = $0.operation { return true } else { return false }
        }) {
            usleep(50_000)
            state = try ClusterState.load(path: path, first: file, quiet: true, host: host)
            remaining = try state.plan()
        }
        return (state, remaining)
    }
}
