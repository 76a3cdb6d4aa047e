import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetKernel
import PodnetKernelModel
import PodnetRender
import PodnetTopology

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a cluster's live state, read from the kernel.",
        discussion: """
        Reads every namespace of the cluster (those named CLUSTER.* whose lo carries \
        podnet's mark) over netlink and prints their links, addresses, routes, \
        neighbour and FDB entries, IPVS virtual servers (proxy.mode ipvs; NodePorts \
        are virtual servers on the node's addresses), and the NodePorts and external \
        IPs the nodes' nftables tables dispatch (proxy.mode nftables) and the \
        NodePorts of their iptables rules (proxy.mode iptables), with the \
        service each leads to and the nodes that hold it. With -f FILE, also every \
        service of the file as resolved against the live cluster: type, ClusterIP, \
        external IPs, ports with their NodePorts, traffic policies, affinity (in \
        every proxy mode). NetworkPolicy: each node's isolated pods with the \
        policies their chains jump to, and the peer sets (the pods a selector \
        picks) with their addresses. Lab clients (clients[]) are namespaces of role \
        client/NAME. Nothing is changed. Namespaces named like the \
        cluster's but without its mark are listed as not podnet's.

        Examples:
          podnet show --cluster lab
          podnet show -f topologies/lab.yaml -o json | jq '.routes[] | select(.namespace == "lab.node-0")'

        Exit status: 0 shown (also when the cluster has nothing live), 1 the kernel \
        could not be read, 64 a usage mistake.
        """
    )

    @Option(name: .long, help: "The cluster's name.")
    var cluster: String?

    @Option(name: .shortAndLong, help: "A topology file, to take the cluster's name from.")
    var file: String?

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        if cluster == nil, file == nil { throw ValidationError("name the cluster: --cluster NAME, or -f FILE") }
        if cluster != nil, file != nil { throw ValidationError("give --cluster or -f, not both") }
    }

    func run() throws {
        let name = try ClusterState.name(cluster: cluster, file: file)
        let state: KernelState
        do {
            state = try LiveStateReader().read(cluster: name)
        } catch {
            Terminal.writeError("podnet: error: cannot read the live state of cluster '\(name)': \(error)")
            throw ExitCode.failure
        }
        // A file also lists its services, resolved against the live cluster (sticky allocation).
        let topology = file.flatMap { TopologyFile(path: $0).resolved(live: LiveAssignmentsReader.assignments(in: state, cluster: name)).result.topology }
        let view = LiveStateView(cluster: name, state: state, topology: topology)
        switch output {
        case .text:
            Terminal.write(state.namespaces.isEmpty && view.unownedNamespaces.isEmpty
                           ? "cluster \(name): nothing live (no namespace \(name).*)" : view.text)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.write(String(decoding: try encoder.encode(view), as: UTF8.self))
        }
    }
}
