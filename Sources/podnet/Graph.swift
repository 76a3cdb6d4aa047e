import ArgumentParser
import Glibc
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw the cluster of a topology file: nodes, bridges, pods, veths, tunnels, clients, services.",
        discussion: """
        Renders the file as lab mode would build it and draws it: the underlay \
        (netns CLUSTER.underlay, bridge underlay), each node as a box holding its \
        bridge, tunnel device (vxlan0, ipip0) and pods, every veth pair with the \
        kernel names of both ends (eth0 ↔ vethXXXXXXXX, altname pod-NAME), the \
        routes between nodes, lab clients, and services with their ClusterIP, \
        ports, NodePorts and external IPs, joined to their endpoint pods. Nothing \
        is read from or changed in the kernel, unless --live.

        With --live, the cluster's live state is read too and compared as podnet \
        diff does: what the file wants and the kernel lacks is marked missing (red, \
        dashed), what the kernel has and the file does not want extra (blue; a link \
        or namespace added by hand is drawn), what differs changed (orange; also a \
        node or pod whose routes, neighbours, sysctls or service rules differ), with a \
        legend. Nothing is changed.

        FILE --cluster NAME is the same comparison as --live FILE, for that \
        cluster (the file's). With --cluster NAME and no file, the live cluster \
        alone is drawn, as \
        its kernel state shows it (root needed): nodes, pods, bridges, tunnels, veth \
        pairs, routes between nodes and clients, from the namespaces' marks and \
        their links and addresses. What only a file says (labels, services, \
        policies) is not drawn, and nothing is marked: there is nothing to compare.

        Formats: svg (the default when Graphviz's dot program is installed: \
        apt-get install graphviz), dot (the default otherwise; Graphviz's input), \
        mermaid (a flowchart for a ```mermaid block in a README on GitHub), json \
        (nodes and edges, for your own tools).

        Examples:
          podnet graph topologies/lab.yaml > lab.svg
          podnet graph -o dot topologies/lab.yaml | dot -Tpng > lab.png
          podnet graph -o mermaid topologies/nodeport-cluster.yaml >> README.md
          podnet graph -o json topologies/lab.yaml | jq '.edges[] | select(.kind == "veth") | .label'
          podnet graph --live topologies/lab.yaml > drift.svg    # after podnet apply
          podnet graph --cluster lab -o mermaid                  # whatever is applied, no file

        Exit status: 0 drawn, 1 the file is invalid or -o svg without dot, 64 a usage mistake.
        """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument { case svg, dot, mermaid, json }

    @Option(name: .shortAndLong, help: "Output format: svg, dot, mermaid or json (default: svg when dot is installed, else dot).")
    var output: Format?

    @Flag(help: "Read the live cluster and mark what differs from the file (missing, extra, changed).")
    var live = false

    @Option(help: ArgumentHelp("Draw the live cluster NAME from the kernel alone, without a file.", valueName: "NAME"))
    var cluster: String?

    @Argument(help: "The topology file.")
    var file: String?

    func validate() throws {
        if cluster == nil, file == nil { throw ValidationError("give a topology file, or --cluster NAME to draw a live cluster") }
    }

    /// `FILE --cluster NAME` is the live comparison (`--live FILE`) of that cluster.
    var comparesLive: Bool { live || (file != nil && cluster != nil) }

    func run() throws {
        let graph: ClusterGraph
        if let cluster, file == nil {
            let state: KernelState
            do {
                state = try LiveStateReader().read(cluster: cluster)
            } catch {
                Terminal.writeError("podnet: error: cannot read the live state of cluster '\(cluster)': \(error)")
                throw ExitCode.failure
            }
            guard !state.namespaces.isEmpty else {
                Terminal.writeError("podnet: error: cluster '\(cluster)' has nothing live (no namespace \(cluster).*)")
                throw ExitCode.failure
            }
            graph = ClusterGraphBuilder(topology: LiveTopology.reconstruct(cluster: cluster, from: state), state: state).build()
        } else if comparesLive, let file {
            // Resolved against the live cluster (its addresses kept), as diff does.
            let state = try ClusterState.load(path: file)
            if let cluster, cluster != state.topology.name {
                throw ValidationError("--cluster \(cluster) is not the file's cluster (\(state.topology.name)); give one of them, or the file's name")
            }
            graph = ClusterGraphBuilder(topology: state.topology, state: state.desired).build()
                .marking(PlanDifferences.of(try state.plan()) + PlanDifferences.foreignLinks(live: state.live, desired: state.desired))
        } else if let file {
            let topologyFile = TopologyFile(path: file)
            topologyFile.reportDiagnostics()
            guard let topology = topologyFile.result.topology else { throw ExitCode.failure }
            graph = ClusterGraphBuilder(topology: topology).build()
        } else {
            throw ValidationError("give a topology file, or --cluster NAME")
        }
        let dot = Self.dotProgram()
        switch output ?? (dot == nil ? .dot : .svg) {
        case .dot: Terminal.write(GraphDOTRenderer.render(graph), terminator: "")
        case .mermaid: Terminal.write(GraphMermaidRenderer.render(graph), terminator: "")
        case .json: Terminal.write(GraphJSONRenderer.render(graph), terminator: "")
        case .svg:
            guard let dot else {
                Terminal.writeError("podnet: error: -o svg needs Graphviz's dot program, which is not on PATH; install it (apt-get install graphviz), or use -o dot and lay it out elsewhere")
                throw ExitCode.failure
            }
            try Self.layOut(GraphDOTRenderer.render(graph), with: dot)
        }
    }

    /// The first executable `dot` on PATH.
    static func dotProgram() -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/dot" }.first { access($0, X_OK) == 0 }
    }

    /// Pipes the DOT text into `dot -Tsvg`, whose SVG goes straight to our stdout.
    private static func layOut(_ text: String, with dot: String) throws {
        fflush(nil)  // all streams: what print() buffered must come before the SVG
        guard let pipe = popen("'\(dot)' -Tsvg", "w") else {
            Terminal.writeError("podnet: error: cannot start \(dot): \(String(cString: strerror(errno)))")
            throw ExitCode.failure
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, pipe) }
        let status = pclose(pipe)
        guard written == bytes.count, status == 0 else {
            Terminal.writeError("podnet: error: \(dot) -Tsvg failed (wait status \(status)); the DOT text is what -o dot prints")
            throw ExitCode.failure
        }
    }
}
