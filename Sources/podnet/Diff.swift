import ArgumentParser
import Glibc
import PodnetPlan

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what apply would change, without changing anything.",
        discussion: """
        Reads the cluster's live state from the kernel, resolves the file against it \
        (live addresses are kept), and prints the plan: each operation as the ip, bridge \
        or sysctl command it amounts to, marked + (create), ~ (update) or - (delete), \
        with its reason.

        Examples:
          podnet diff topologies/lab.yaml
          podnet diff --output commands topologies/lab.yaml > rebuild.sh   # a script a student can read
          podnet diff --detailed-exitcode cluster.yaml || echo "drift"     # in CI

        Exit status: 0 success (with --detailed-exitcode: nothing to do), 2 changes \
        pending (with --detailed-exitcode), 1 an error, 64 a usage mistake.
        """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument { case text, json, commands }

    @Option(name: .shortAndLong, help: "Output format: text, json or commands.")
    var output: Format = .text

    @Flag(help: "Exit 0 when there is nothing to do, 2 when changes are pending, 1 on error (terraform's convention).")
    var detailedExitcode = false

    @Option(help: ArgumentHelp("Host mode: this machine is node NAME (see podnet apply --help).", valueName: "NAME"))
    var node: String?

    @Argument(help: "The topology file.")
    var file: String

    func run() throws {
        let state = try ClusterState.load(path: file, host: node)
        let plan = try state.plan()
        switch output {
        case .text: Terminal.write(PlanPrinter.text(plan, cluster: state.topology.name))
        case .json: Terminal.write(try PlanPrinter.json(plan, cluster: state.topology.name))
        case .commands: if !plan.isEmpty { Terminal.write(PlanPrinter.commands(plan)) }
        }
        QuickExit.now(detailedExitcode && !plan.isEmpty ? 2 : 0)
    }
}
