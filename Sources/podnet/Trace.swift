import ArgumentParser
import FoundationEssentials
import PodnetAddress
import PodnetKernel
import PodnetKernelModel
import PodnetRender
import PodnetTopology

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Follow one packet through the cluster, hop by hop, and its reply back.",
        discussion: """
        The path a packet from SRC to DST takes, as the kernel would forward it: in \
        each namespace the route it takes (`ip route` words), the netfilter hooks \
        and the nf_tables rules that matched (the service chosen, the endpoint \
        candidates with their shares and the one followed, DNAT, masquerade, \
        NetworkPolicy's verdict), the veth pairs and bridges it crosses, VXLAN or \
        IP-in-IP encapsulation over the underlay; then how it ended (delivered, \
        dropped, rejected) and, if delivered, the reply's path back through the \
        connection tracking entries the NAT made. It reads like seed 003's walk.

        The model is the file's desired state: the very objects `apply` creates, \
        nf_tables rules run expression by expression. Nothing is sent. With \
        --live, the kernel's state is read as well (as `diff` reads it, root \
        needed) and the packet is followed through it too; the first hop where the \
        kernel's path differs from the file's is named, each route the trace takes \
        there is held against the kernel's own look-up (`ip route get`, \
        RTM_GETROUTE, in that namespace), and the exit status says whether they all \
        agree.

        SRC: a pod, a lab client or a node. DST: a pod, a service (its ClusterIP), \
        a node (with a port: its NodePort), a client, or an IPv4 address; with \
        :PORT[/TCP|/UDP] a TCP (or UDP) connection's first packet, without a port \
        an ICMP echo (a service without a port: its first port). Random choices \
        (which endpoint) follow the first candidate unless --endpoint POD names \
        one. In iptables and IPVS proxy modes the service's rules are not run \
        (only nf_tables rules are): a ClusterIP is then not translated and the \
        trace says so.

        Examples:
          podnet trace topologies/lab.yaml a0 b0
          podnet trace topologies/services-nftables.yaml b web:8080 --endpoint a0
          podnet trace topologies/netpol-lab.yaml xb xa:80/TCP     # a policy's drop
          podnet trace -o json topologies/vxlan-static.yaml a0 c0 | jq '.hops[].text'
          podnet trace --live topologies/lab.yaml a0 web:80        # after podnet apply

        Exit status: 0 the packet is delivered (and with --live, the kernel agrees), \
        1 it is dropped or rejected, or --live found a difference, 64 a usage mistake.
        """
    )

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Flag(help: "Also follow the packet through the live kernel state and name where it differs from the file's.")
    var live = false

    @Option(help: ArgumentHelp("Follow the connection to this endpoint pod where the proxy picks one at random.", valueName: "POD"))
    var endpoint: String?

    @Flag(help: "Only the hops, without the routes and rules behind them.")
    var brief = false

    @Argument(help: "The topology file.")
    var file: String

    @Argument(help: "Where the packet starts: a pod, client or node.")
    var source: String

    @Argument(help: ArgumentHelp("Where it goes: a pod, service, node, client or address, with :PORT[/PROTO] for TCP or UDP.", valueName: "destination"))
    var destination: String

    func run() throws {
        let (topology, desired, liveState) = try states()
        let choices = PacketWalker.Choices(endpoint: endpoint.flatMap { topology.pod(named: $0)?.ip })
        if let endpoint, topology.pod(named: endpoint) == nil { throw ValidationError("--endpoint: no pod named '\(endpoint)'") }
        let walker = PacketWalker(state: desired)
        let request: TraceRequest
        do {
            request = try TraceRequest.resolve(source: source, destination: destination, in: topology, walker: walker)
        } catch {
            throw ValidationError(error.description)
        }
        let path = walker.trace(request.packet, from: request.namespace, choices: choices)
        var differences: [String] = []
        var livePath: PacketPath?
        if let liveState {
            let kernel = PacketWalker(state: liveState).trace(request.packet, from: request.namespace, choices: choices)
            differences = TraceComparison.differences(model: path, kernel: kernel)
            differences += try Self.routeLookups(of: kernel)
            livePath = kernel
        }
        switch output {
        case .text:
            Terminal.write(PacketPathText.render(path, request: request, origin: "the file's desired state", verbose: !brief))
            if let livePath {
                Terminal.write("")
                if differences.isEmpty {
                    let reply = livePath.reply.map { ", and the reply the same \($0.count)" } ?? ""
                    Terminal.write("--live: the kernel's state takes the same \(livePath.hops.count) hops\(reply)")
                } else {
                    Terminal.write("--live: the kernel's path differs:")
                    for line in differences { Terminal.write("  " + line) }
                    Terminal.write("")
                    Terminal.write(PacketPathText.render(livePath, request: request, origin: "the kernel's live state", verbose: !brief))
                }
            }
        case .json:
            struct Report: Encodable {
                var source: String, destination: String, packet: String
                var path: PacketPath
                var live: PacketPath?
                var differences: [String]?
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let report = Report(source: request.sourceName, destination: request.destinationName, packet: request.packet.description,
                                path: path, live: livePath, differences: liveState == nil ? nil : differences)
            Terminal.write(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
        if !path.isDelivered || !differences.isEmpty { throw ExitCode.failure }
    }

    /// Each route hop of the kernel's path held against the kernel's own look-up
    /// (`ip route get` in that namespace): where they part, a line.
    static func routeLookups(of path: PacketPath) throws -> [String] {
        let hops = (path.hops + (path.reply ?? [])).filter { $0.route != nil }
        let queries = hops.compactMap { hop -> (namespace: NamespaceRef, destination: IPv4Address)? in
            guard let route = hop.route, let destination = IPv4Address(route.destination) else { return nil }
            return (PacketWalker.namespace(named: hop.namespace), destination)
        }
        let answers: [KernelRouteLookup.Answer]
        do {
            answers = try KernelRouteLookup.answers(for: queries)
        } catch {
            return ["the kernel's own route look-ups failed: \(error)"]
        }
        return zip(hops, answers).compactMap { hop, answer in
            guard let route = hop.route, answer.device != route.device || answer.gateway?.description != route.gateway else { return nil }
            let kernel = answer.device.map { "dev \($0)" + (answer.gateway.map { " via \($0)" } ?? "") } ?? "no route"
            let traced = "dev \(route.device)" + (route.gateway.map { " via \($0)" } ?? "")
            return "[\(hop.namespace)] ip route get \(route.destination) says \(kernel); the trace took \(traced)"
        }
    }

    /// The topology and its desired state, resolved against the live cluster with
    /// --live (as diff does: its addresses kept); and the live state.
    func states() throws -> (Topology, KernelState, KernelState?) {
        if live {
            let state = try ClusterState.load(path: file)
            return (state.topology, state.desired, state.live)
        }
        let topologyFile = TopologyFile(path: file)
        topologyFile.reportDiagnostics()
        guard let topology = topologyFile.result.topology else { throw ExitCode.failure }
        return (topology, LabRenderer(topology: topology).render(), nil)
    }
}
