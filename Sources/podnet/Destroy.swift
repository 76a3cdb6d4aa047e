import ArgumentParser
import Glibc
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetTopology

struct Destroy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Remove everything podnet made for a cluster.",
        discussion: """
        Works from the kernel alone: it deletes the namespaces named CLUSTER.* whose lo \
        carries the cluster's mark, which takes every link, address and route in them \
        along (no veth is deleted one by one). Namespaces without the mark are left \
        alone and listed. No file is needed with --cluster: after the file was \
        deleted, or a node renamed, the kernel still knows what is podnet's.

        Examples:
          podnet destroy topologies/lab.yaml
          podnet destroy --cluster lab

        Exit status: 0 destroyed (also when nothing was live), 1 an error, 64 a usage mistake.
        """
    )

    @Option(name: .long, help: "The cluster's name (instead of a file).")
    var cluster: String?

    @Option(help: ArgumentHelp("Host mode: remove only node NAME's objects from this machine (see podnet apply --help).", valueName: "NAME"))
    var node: String?

    @Argument(help: "The topology file (or give --cluster).")
    var file: String?

    func validate() throws {
        if cluster == nil, file == nil { throw ValidationError("give the topology file, or --cluster NAME") }
        if cluster != nil, file != nil { throw ValidationError("give a file or --cluster, not both") }
    }

    func run() throws {
        let name = try ClusterState.name(cluster: cluster, file: file)
        // The records of the cluster's nftables tables describe what is about to go.
        NFTablesRecordStore().removeAll(cluster: name)
        if let node { return try destroyHost(node, cluster: name) }
        PhaseTiming.mark("started")
        // Deleting a namespace takes everything in it along: its lo's mark is all
        // there is to read.
        guard getuid() == 0 else {
            Terminal.writeError("podnet: error: reading the kernel's namespaces needs root; run with sudo")
            throw ExitCode.failure
        }
        let census: NamespaceCensus
        do {
            census = try LiveStateReader().census(of: name)
        } catch {
            Terminal.writeError("podnet: error: cannot read the namespaces of cluster '\(name)': \(error)")
            throw ExitCode.failure
        }
        PhaseTiming.mark("namespaces told apart (\(census.owned.count) the cluster's)")
        let directory = NetnsDirectory()
        let owned = census.owned.compactMap { try? NetnsName($0) }
        let failures = directory.delete(owned, threads: Self.deletionThreads)
        // Gone already (another destroy, or by hand): what was wanted.
        let errors = failures.filter { if case .notFound = $0.error { return false } else { return true } }
        if let first = errors.first {
            Terminal.writeError("podnet: error: cannot delete namespace \(first.name): \(first.error)\(errors.count > 1 ? " (and \(errors.count - 1) more)" : "")")
            throw ExitCode.failure
        }
        let deleted = owned.count - failures.count
        PhaseTiming.mark("\(deleted) namespaces deleted")
        // Files left by a crash between creating a namespace's file and mounting it
        // are no namespace at all (ip netns del removes them too).
        for candidate in (try? LiveStateReader().candidateNamespaces(of: name)) ?? [] where directory.isStale(candidate) {
            try? directory.delete(candidate)
        }
        for namespace in census.unowned.union(census.emptyUnmarked).sorted() {
            Terminal.writeError("podnet: note: left \(namespace) alone: its name looks like the cluster's, but it carries no podnet mark")
        }
        Terminal.write("cluster \(name): destroyed, \(deleted) namespace\(deleted == 1 ? "" : "s") deleted")
    }

    /// The plan that removes everything of `cluster` that podnet owns in `live`.
    /// Unmounting threads: each unmount mostly waits (an RCU grace period), and
    /// threads waiting at once share one, so more of them than processors. Deleting
    /// 1,041 namespaces on 2 processors: 128 ms on one thread, 41 on 4, 38 on 8, 36 on 16.
    static let deletionThreads = 8

    static func removal(of cluster: String, live: KernelState) throws -> Plan {
        do {
            return try Planner(cluster: cluster).plan(desired: KernelState(), live: live)
        } catch {
            Terminal.writeError("podnet: error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Host mode: this node's pods' namespaces, and its own links and routes in the
    /// current namespace (found by their marks and route protocol); the host's other
    /// links and routes, and its uplink, stay. Sysctls stay as they are.
    private func destroyHost(_ node: String, cluster name: String) throws {
        // IPVS services on the file's serviceCIDR are podnet's; without a file, those
        // on the addresses of the cluster's own kube-ipvs0 (the reader's rule).
        // NodePorts: those on the file's node address in its nodePortRange.
        let topology = file.flatMap { TopologyFile(path: $0).result.topology }
        let nodePorts = topology.map { ClusterState.ipvsNodePorts(of: $0, host: $0.node(named: node)) } ?? .init()
        let live = try ClusterState.readLive(cluster: name, host: node, serviceCIDR: topology?.serviceCIDR,
                                             serviceCIDRv6: topology?.ipv6?.serviceCIDR, ipvsNodePorts: nodePorts)
        let plan = try Self.removal(of: name, live: live)
        do {
            try PlanExecutor().execute(plan)
        } catch {
            Terminal.writeError("podnet: error: \(error.operation)\n  \(error.reason)")
            throw ExitCode.failure
        }
        // The pods' veth ends on this host go with their namespaces, asynchronously:
        // wait (up to two seconds) so that what destroy reports is what `ip link` shows.
        for _ in 0..<40 {
            let left = try ClusterState.readLive(cluster: name, host: node).links.values
                .filter { $0.id.namespace == .current && $0.mark?.isOwned(by: name) == true }
            if left.isEmpty { break }
            usleep(50_000)
        }
        let summary = plan.summary
        Terminal.write("cluster \(name), node \(node): destroyed, \(summary.delete) object\(summary.delete == 1 ? "" : "s") deleted")
    }
}
