import ArgumentParser
import Foundation
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology

/// What the reconciling commands share: the file resolved against the live
/// cluster (sticky allocation), the desired and live kernel states, and the plan.
struct ClusterState {
    let file: TopologyFile
    let topology: Topology
    let live: KernelState
    let desired: KernelState

    /// Loads `path`, reads the cluster's live state, and resolves the file again with
    /// the live assignments so that nothing live is renumbered. Reports diagnostics;
    /// throws `ExitCode.failure` when the file is invalid or the kernel unreadable.
    /// - Parameter first: the file already loaded without live assignments, if the
    ///   caller has it (it is loaded again with them).
    /// - Parameter quiet: no warnings (a second load of a file already reported).
    static func load(path: String, first: TopologyFile? = nil, quiet: Bool = false) throws -> ClusterState {
        let first = first ?? TopologyFile(path: path)
        guard let firstTopology = first.result.topology else {
            first.reportDiagnostics()
            throw ExitCode.failure
        }
        let name = firstTopology.name
        // The sysctls to read are those the render sets; their keys (bridge names)
        // do not depend on the live allocation.
        let sysctlKeys = Set(LabRenderer(topology: firstTopology).render().sysctls.keys.map(\.key))
        let live = try readLive(cluster: name, sysctlKeys: sysctlKeys)
        let file = TopologyFile(path: path, live: LiveAssignmentsReader.assignments(in: live, cluster: name))
        if !quiet || file.result.topology == nil { file.reportDiagnostics() }
        guard let topology = file.result.topology else { throw ExitCode.failure }
        return ClusterState(file: file, topology: topology, live: live, desired: LabRenderer(topology: topology).render())
    }

    /// The cluster a command acts on: `--cluster NAME` as given, or the name in a
    /// topology file (whose diagnostics are reported; an invalid file fails).
    static func name(cluster: String?, file: String?) throws -> String {
        if let cluster { return cluster }
        let topology = TopologyFile(path: file ?? "")
        topology.reportDiagnostics()
        guard let resolved = topology.result.topology else { throw ExitCode.failure }
        return resolved.name
    }

    static func readLive(cluster: String, sysctlKeys: Set<String> = ["net.ipv4.ip_forward"]) throws -> KernelState {
        guard getuid() == 0 else {
            Terminal.writeError("podnet: error: reading the kernel's namespaces needs root; run with sudo")
            throw ExitCode.failure
        }
        do {
            return try LiveStateReader(sysctlKeys: sysctlKeys.sorted()).read(cluster: cluster)
        } catch {
            Terminal.writeError("podnet: error: cannot read the live state of cluster '\(cluster)': \(error)")
            throw ExitCode.failure
        }
    }

    func plan() throws -> Plan {
        do {
            return try Planner(cluster: topology.name).plan(desired: desired, live: live)
        } catch {
            Terminal.writeError("podnet: error: cluster '\(topology.name)': \(error)")
            throw ExitCode.failure
        }
    }
}
