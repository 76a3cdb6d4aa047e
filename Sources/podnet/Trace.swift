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
        agree. For TCP and UDP a real probe is sent too: one SYN (or datagram) \
        from SRC's namespace, marked for nftrace (`meta nftrace set 1`, by a table \
        `inet trace-by-podnet` in each node namespace that lives as long as the \
        probe), and the rules the kernel reports it met (NFT_MSG_TRACE) are held \
        against the rules the trace says it meets, namespace by namespace; the \
        reply's too where it is marked (TCP, no source NAT). Where the kernel's \
        random choice took another endpoint than the trace, the trace follows \
        the kernel's for that comparison.

        SRC: a pod, a lab client or a node. DST: a pod, a service (its ClusterIP), \
        a node (with a port: its NodePort), a client, or an IP address ([ADDRESS] \
        for IPv6 with a port); with :PORT[/TCP|/UDP] a TCP (or UDP) connection's \
        first packet, without a port an ICMP (ICMPv6) echo (a service without a \
        port: its first port). In a dual-stack cluster names stand for their \
        addresses of the primary family (the first listed), or of the one -4 or -6 \
        chooses; an address given is its own family's. Random choices \
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
          podnet trace -6 topologies/dual-stack.yaml c web:8080    # over IPv6
          podnet trace topologies/dual-stack.yaml a0 '[fd00:200:0:1::2]:8080'

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

    @Flag(help: "The family names stand for in a dual-stack cluster (default: its primary one).")
    var family: AddressFamilyFlag?

    @Argument(help: "The topology file.")
    var file: String

    @Argument(help: "Where the packet starts: a pod, client or node.")
    var source: String

    @Argument(help: ArgumentHelp("Where it goes: a pod, service, node, client or address, with :PORT[/PROTO] for TCP or UDP.", valueName: "destination"))
    var destination: String

    func run() throws {
        let (topology, desired, liveState) = try states()
        if let endpoint, topology.pod(named: endpoint) == nil { throw ValidationError("--endpoint: no pod named '\(endpoint)'") }
        let walker = PacketWalker(state: desired)
        let resolved: TraceRequest
        do {
            resolved = try TraceRequest.resolve(source: source, destination: destination, in: topology, walker: walker,
                                                family: family?.addressFamily)
        } catch {
            throw ValidationError(error.description)
        }
        let choices = PacketWalker.Choices(endpoint: endpoint.flatMap { topology.pod(named: $0)?.ip(resolved.packet.family) })
        var request = resolved
        // A port of its own, so that a real probe (--live) is told from other traffic.
        if live { request.packet.sourcePort = UInt16.random(in: 40000...59999) }
        let path = walker.trace(request.packet, from: request.namespace, choices: choices)
        var differences: [String] = []
        var livePath: PacketPath?
        var probeSummary: Int?
        if let liveState {
            let kernel = PacketWalker(state: liveState).trace(request.packet, from: request.namespace, choices: choices)
            differences = TraceComparison.differences(model: path, kernel: kernel)
            differences += try Self.routeLookups(of: kernel)
            let (probed, traced) = Self.probe(request, path: kernel, state: liveState, choices: choices)
            differences += probed
            probeSummary = traced
            livePath = kernel
        }
        switch output {
        case .text:
            Terminal.write(PacketPathText.render(path, request: request, origin: "the file's desired state", verbose: !brief))
            if let livePath {
                Terminal.write("")
                if differences.isEmpty {
                    let reply = livePath.reply.map { ", and the reply the same \($0.count)" } ?? ""
                    let probe = probeSummary.map { "; a real probe met the same \($0) rules (nftrace)" } ?? "; not probed (an ICMP echo has no port to mark it by)"
                    Terminal.write("--live: the kernel's state takes the same \(livePath.hops.count) hops\(reply)\(probe)")
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

    /// A real TCP SYN or UDP datagram, traced by the kernel (nftrace) in every node
    /// namespace, its rules held against those the trace says it meets. The kernel's
    /// random choice of an endpoint is its own: where it took another than the trace,
    /// the trace follows the kernel's before comparing. An echo has no port to mark
    /// it by: not probed.
    /// - Returns: the differences, and how many rules the kernel reported (nil: not probed).
    static func probe(_ request: TraceRequest, path: PacketPath, state: KernelState,
                      choices: PacketWalker.Choices) -> ([String], Int?) {
        guard request.packet.protocol == .tcp || request.packet.protocol == .udp, case .named(let source) = request.namespace else { return ([], nil) }
        var watched = Set(state.nftTables.keys.map(\.namespace)).union(state.iptablesChains.keys.map(\.namespace))
        watched.formUnion(state.iptablesRules.map(\.namespace))
        let names = watched.compactMap { namespace -> NetnsName? in
            if case .named(let name) = namespace { return try? NetnsName(name) }
            return nil
        }.sorted { $0.rawValue < $1.rawValue }
        let flow = NFTraceProbe.Flow(destination: request.packet.destination, protocol: request.packet.protocol.rawValue,
                                     sourcePort: request.packet.sourcePort, destinationPort: request.packet.destinationPort)
        let observed: [NFTraceProbe.Observed]
        do {
            observed = try NFTraceProbe.run(flow, from: NetnsName(source), watching: names)
        } catch {
            return (["the nftrace probe failed: \(error)"], nil)
        }
        if ProcessInfo.processInfo.environment["PODNET_TRACE_EVENTS"] != nil {
            for item in observed { Terminal.writeError("nftrace \(item.namespace) \(item.event)") }
        }
        let events = observed.filter(\.event.isRuleMatch).map { item in
            let event = item.event
            // iptables-nft keeps iptables' tables as nf_tables tables of family ip, and
            // ip6tables' as tables of family ip6.
            let builtIn = ["nat", "filter", "mangle", "raw"].contains(event.table)
            let table = builtIn && event.family == NFTFamily.ip.rawValue ? "iptables \(event.table)"
                : builtIn && event.family == NFTFamily.ip6.rawValue ? "ip6tables \(event.table)"
                : "\(NFTFamily(rawValue: event.family).map(\.description) ?? String(event.family)) \(event.table)"
            return KernelRuleEvent(namespace: item.namespace.description, table: table, chain: event.chain)
        }
        let replyIsMarked = request.packet.protocol == .tcp
        var differences = TraceComparison.nftraceDifferences(model: path, kernel: events, replyIsMarked: replyIsMarked)
        if !differences.isEmpty, let endpoint = KernelEndpointChoice.endpoint(in: events, state: state), endpoint != choices.endpoint {
            let followed = PacketWalker(state: state).trace(request.packet, from: request.namespace, choices: .init(endpoint: endpoint))
            differences = TraceComparison.nftraceDifferences(model: followed, kernel: events, replyIsMarked: replyIsMarked)
            if differences.isEmpty { Terminal.writeError("podnet: note: the probe's connection went to endpoint \(endpoint) (the kernel's random choice); its rules are those the trace meets on the way there") }
        }
        return (differences, events.count)
    }

    /// Each route hop of the kernel's path held against the kernel's own look-up
    /// (`ip route get` in that namespace): where they part, a line.
    static func routeLookups(of path: PacketPath) throws -> [String] {
        let hops = (path.hops + (path.reply ?? [])).filter { $0.route != nil }
        let queries = hops.compactMap { hop -> (namespace: NamespaceRef, destination: IPAddress)? in
            guard let route = hop.route, let destination = IPAddress(route.destination) else { return nil }
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
