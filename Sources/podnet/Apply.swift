import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetKernel
import PodnetPlan
import PodnetTopology

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the kernel equal to a topology file.",
        discussion: """
        Reads the cluster's live state, plans (see `podnet diff`), runs the plan over \
        netlink (pipelined, in dependency order), then reads the kernel again and \
        checks that nothing differs. What the file no longer wants and podnet owns is \
        removed; what podnet does not own is never touched (one in the way is an error \
        that names it). Running it twice changes nothing the second time. An apply \
        interrupted at any point (^C, kill -9) leaves a state the next apply converges \
        from.

        nftables tables: each transaction carries the ruleset generation it was planned \
        at, and is refused if another program changed podnet's table since. After a \
        commit podnet keeps a record of each table in /run/podnet/nftables (its inputs, \
        the namespace and the generation), once what it wrote reads back as planned; \
        while nothing commits in that namespace, the next diff or apply rebuilds the \
        table from the record instead of reading thousands of rules. Any other commit, a \
        rule added by hand included, and the table is read whole.

        Lab clients (clients[]): each is the namespace CLUSTER.NAME with eth0 on the \
        underlay at its address, and a /32 route for every external IP via the node \
        an L2 announcer would elect: the first node, in declaration order, hosting an \
        endpoint of the service (the first node if none). Host mode makes none.

        Host mode (--node NAME): this machine is node NAME of a real cluster, and \
        every host applies the same file. The node is the namespace podnet runs in; \
        its uplink is nodes[].interface, or the interface holding the node's address, \
        and is never created, changed or deleted. Only this node's bridge, tunnel, \
        routes (marked 'proto podnet') and its own pods are reconciled; the host's \
        other links and routes are left alone. Addresses are allocated from the file \
        alone, so that every host agrees: give them explicitly.

        Examples:
          podnet apply topologies/lab.yaml
          podnet apply --node node-1 cluster.yaml     # on the host that is node-1
          podnet apply --no-wait cluster.yaml     # fail instead of waiting for another apply
          podnet apply -o json cluster.yaml | jq .summary     # what changed, for a pipeline

        Exit status: 0 applied (or nothing to do), 1 an error (the file, the kernel, or \
        a difference left after applying), 64 a usage mistake.
        """
    )

    @Option(help: ArgumentHelp("Host mode: this machine is node NAME of a real cluster (see --help).", valueName: "NAME"))
    var node: String?

    @Flag(help: "Fail at once if another podnet is applying or destroying this cluster, instead of waiting.")
    var noWait = false

    @Option(name: .shortAndLong, help: "Output format: text, or json (the operations applied, as `podnet diff -o json` lists them, with the summary and the seconds taken).")
    var output: OutputFormat = .text

    @Argument(help: "The topology file.")
    var file: String

    func run() throws {
        PhaseTiming.mark("started")
        let first = TopologyFile(path: file)
        guard let name = first.result.topology?.name else {
            first.reportDiagnostics()
            throw ExitCode.failure
        }
        let lock: ClusterLock
        do {
            lock = try ClusterLock(cluster: name, wait: !noWait) {
                Terminal.writeError("podnet: waiting for another podnet working on cluster '\(name)'…")
            }
        } catch {
            Terminal.writeError("podnet: error: \(error)")
            throw ExitCode.failure
        }
        defer { withExtendedLifetime(lock) {} }

        let state = try ClusterState.load(path: file, first: first, host: node)
        if node != nil { RouteProtocolName.install() }
        let plan = try state.plan()
        if plan.isEmpty {
            state.keepRecords(ofTablesUnchangedBy: plan)
            switch output {
            case .text: Terminal.write("cluster \(name): nothing to do; the kernel matches the file")
            case .json: Terminal.write(try PlanPrinter.json(plan, cluster: name, seconds: 0))
            }
            QuickExit.now()
        }
        let showProgress = plan.operations.count >= 50
        let outcome: Reconciliation.Outcome
        do {
            outcome = try Reconciliation.apply(plan, from: state) { done, total in
                if showProgress { Terminal.writeError("podnet: \(done)/\(total) operations") }
            }
        } catch let failure as Reconciliation.Failure {
            switch failure {
            case .partlyApplied:
                Terminal.writeError("podnet: error: \(failure.text)\nthe cluster is partly applied; run podnet apply again once the cause is fixed")
            case .stillDiffers:
                Terminal.writeError("podnet: error: \(failure.text)")
            }
            throw ExitCode.failure
        }
        let notUp = outcome.notUp
        if !notUp.isEmpty {
            Terminal.writeError("podnet: warning: not carrying traffic yet after 3 s: \(notUp.prefix(5).joined(separator: ", "))\(notUp.count > 5 ? ", …" : "")")
        }
        let summary = plan.summary
        let seconds = outcome.seconds
        switch output {
        case .text:
            Terminal.write("cluster \(name): applied in \(FixedPoint.text(seconds, places: 2)) s: \(summary.create) created, \(summary.update) updated, \(summary.delete) deleted")
        case .json:
            Terminal.write(try PlanPrinter.json(plan, cluster: name, seconds: (seconds * 1000).rounded() / 1000))
        }
    }
}
