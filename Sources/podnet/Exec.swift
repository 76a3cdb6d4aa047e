import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetKernel
import PodnetRender
import PodnetTopology

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside a pod's or node's namespace.",
        discussion: """
        Like `ip netns exec CLUSTER.NAME COMMAND`: the command runs in the namespace of \
        the pod or node NAME, with its own /sys (so `ip link` and `ls /sys/class/net` \
        show that namespace's interfaces), on this terminal.

        Examples:
          podnet exec -f topologies/lab.yaml a0 -- ping -c 3 10.200.1.2
          podnet exec --cluster lab node-0 -- ip route
          podnet exec --cluster lab a0 -- sh        # a shell in the pod

        Exit status: the command's own; 128+N if a signal N ended it; 125 podnet could \
        not run it (unknown pod, no such namespace); 126 the command cannot be \
        executed; 127 the command was not found; 64 a usage mistake.
        """
    )

    @Option(name: .long, help: "The cluster's name.")
    var cluster: String?

    @Option(name: .shortAndLong, help: "A topology file, to take the cluster's name (and its pods and nodes) from.")
    var file: String?

    @Argument(help: "The pod or node to run in.")
    var member: String

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after '--'.")
    var command: [String] = []

    func validate() throws {
        if cluster == nil, file == nil { throw ValidationError("name the cluster: --cluster NAME, or -f FILE") }
        if cluster != nil, file != nil { throw ValidationError("give --cluster or -f, not both") }
        if command.isEmpty { throw ValidationError("give the command after '--', e.g. podnet exec --cluster lab a0 -- ip addr") }
    }

    func run() throws {
        let clusterName: String
        if let cluster {
            clusterName = cluster
        } else {
            let topology = TopologyFile(path: file!)
            topology.reportDiagnostics()
            guard let resolved = topology.result.topology else { throw ExitCode(125) }
            let members = resolved.pods.map(\.name) + resolved.nodes.map(\.name) + resolved.clients.map(\.name)
            guard members.contains(member) else {
                let hint = Spelling.suggestion(for: member, among: members).map { "; did you mean '\($0)'?" } ?? ""
                Terminal.writeError("podnet: error: '\(member)' is neither a pod nor a node of cluster '\(resolved.name)'\(hint)")
                throw ExitCode(125)
            }
            clusterName = resolved.name
        }
        let namespace = KernelNames.namespace(cluster: clusterName, member: member)
        let status: ExitStatus
        do {
            let thread = try NetnsThread(named: try NetnsName(namespace))
            defer { thread.close() }
            // As system(3) does: ^C and ^\ go to the command, not to podnet.
            let previousInterrupt = signal(SIGINT, SIG_IGN)
            let previousQuit = signal(SIGQUIT, SIG_IGN)
            defer {
                signal(SIGINT, previousInterrupt)
                signal(SIGQUIT, previousQuit)
            }
            status = try thread.execInteractive(Command(command))
        } catch NetnsError.notFound {
            Terminal.writeError("podnet: error: no namespace \(namespace): is cluster '\(clusterName)' applied, and is '\(member)' one of its pods or nodes?")
            throw ExitCode(125)
        } catch CommandError.notFound {
            Terminal.writeError("podnet: error: command not found: \(command[0])")
            throw ExitCode(127)
        } catch CommandError.notExecutable {
            Terminal.writeError("podnet: error: cannot execute \(command[0])")
            throw ExitCode(126)
        } catch {
            Terminal.writeError("podnet: error: \(error)")
            throw ExitCode(125)
        }
        switch status {
        case .exited(0): return
        case .exited(let code): throw ExitCode(code)
        case .signaled(let signal): throw ExitCode(128 + signal)
        }
    }
}
