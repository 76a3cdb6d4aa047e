import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetAddress
import PodnetKernel
import PodnetRender
import PodnetTopology

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Measure connectivity from inside the pods and lab clients: every pod to every pod, to every service port and NodePort; every client to every NodePort and external IP.",
        discussion: """
        What the file promises, measured from inside the cluster's namespaces, the way \
        seed 003 checks each step with ping and nc:

        Pod to pod: an ICMP echo from inside every pod to every pod's IP (in-process, \
        all at once, a few retries within --timeout). Pods behind a bridge must reach \
        every such pod on every node; a pod of a `bridge: none` node must reach its \
        link peer and nothing else. A dual-stack cluster gets a second matrix: an \
        ICMPv6 echo to every pod's IPv6 address, expected as IPv4's (NetworkPolicy \
        included: it filters both families alike, but for ipBlock peers, which \
        match their own family only).

        Services: for the duration of the check, a listener inside each endpoint pod \
        on the targetPort (TCP or UDP) answers every connection with the pod's name. \
        Every pod then makes --connections connections to each ClusterIP:port, so the \
        table shows which endpoints answered and in what shares. A service without \
        endpoints must refuse connections at once (past the first few, the kernel's \
        ICMP rate limit may let the rest time out). The listeners are sockets of \
        this process: they close when the check ends, also on ^C; nothing is left \
        behind.

        Traffic from outside (lab mode; with --via clusterIP, the default): every \
        client (clients[]) and every pod makes --connections connections to every \
        NodePort on every node (node address:nodePort) and to every external IP and \
        port (a client reaches it through its /32 route via the node an L2 announcer \
        would elect: the first node, in declaration order, with an endpoint of the \
        service, or the first node if none; pods through their own node). \
        The listeners also answer with the source address they saw, so the table \
        shows who answered and which source they saw. What must hold, as kube-proxy \
        does it: with externalTrafficPolicy Cluster every connection is answered, \
        spread over every endpoint, and the endpoint sees an address of the \
        receiving node (masqueraded: its eth0, bridge or tunnel address); with \
        Local, at a node with a local endpoint every connection reaches a local \
        endpoint and it sees the client's own address, and at a node without one no \
        connection is answered and none refused (dropped: they time out, after the \
        probe's short timeout). sessionAffinity ClientIP: all of one client's \
        connections reach one endpoint ("one endpoint per client"). A pod's \
        connection to its own node's NodePort, or to an external IP (which its own \
        node takes), is short-circuited to any endpoint (under Local with the pod's \
        address kept); to another node's NodePort it arrives from its node's \
        address (network.masquerade), and is treated there as a client's. In IPVS \
        mode there is no such short-circuit (as in kube-proxy's): a Local virtual \
        server holds only its node's endpoints, for pods too. \
        internalTrafficPolicy Local: a pod's ClusterIP connections reach only its \
        node's endpoints, and are dropped where it has none.

        NetworkPolicy (a cluster with networkPolicies): a listener in every pod on \
        TCP and UDP 80 and 81 and on every port the policies name (numbers, both \
        ends of each endPort range, named pod ports), and one connection from every \
        pod to every pod on each, in each family the cluster has (a second \
        matrix over IPv6 in a dual-stack cluster). A connection the policies allow must be answered \
        (✓); one they deny must be dropped (·), neither answered nor refused. The \
        echo matrix and the services follow the policies too: an echo passes only \
        rules without ports; a service connection is judged at the endpoint the \
        proxy picks, on its target port. --explain SRC DST PORT[/PROTO] prints \
        the verdict on one connection and the policies and rules deciding it, from \
        the file alone (nothing probed; DST may be a service: each endpoint is \
        judged); it exits 0 when allowed, 1 when denied.

        The text output is a ✓/✗ matrix (summed per node beyond 40 pods), a \
        services table and a table of traffic from outside, then every failure by \
        name; -o json gives every pair and every source's counts per service port \
        (and the source addresses seen).

        Examples:
          podnet check topologies/host-gw.yaml
          podnet check -o json --pods-only cluster.yaml | jq '.failures[]'
          podnet check --services-only --connections 100 topologies/lab.yaml
          podnet check --via endpoints topologies/lab.yaml   # bypass the proxy
          podnet check --services-only topologies/nodeport-local.yaml   # from outside: who answers, which source they see
          ip netns exec HOST podnet check --node node-0 cluster.yaml   # host mode
          podnet check topologies/netpol-allow-from-namespace.yaml --explain web db 5432/TCP

        Exit status: 0 everything as expected, 1 something expected failed (each \
        failure is named) or the check could not run, 64 a usage mistake.
        """
    )

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Option(help: "Connections each pod (and client) makes to each service port, NodePort and external IP.")
    var connections = 20

    @Option(help: ArgumentHelp("What service probes connect to: clusterIP (what clients use, load-balanced by the proxy; also NodePorts and external IPs), or endpoints (each endpoint's pod IP and targetPort, and nothing from outside).", valueName: "clusterIP|endpoints"))
    var via: ServiceTarget.Via = .clusterIP

    @Option(help: "Seconds an echo may take to be answered; connections get one more (room for a TCP SYN retransmission).")
    var timeout = 1.0

    @Flag(help: "Only pod to pod.")
    var podsOnly = false

    @Flag(help: "Only services.")
    var servicesOnly = false

    @Option(help: ArgumentHelp("Host mode: this machine is node NAME (see podnet apply --help): the kernel is compared with the file as that node's apply sees it. Probes run from every pod namespace on this machine: on hosts emulated in one machine that is every pod; on a real multi-host cluster other hosts' pods are reported as not probed, and their endpoints have no listener.", valueName: "NAME"))
    var node: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Explain NetworkPolicy's verdict on one connection, from the file alone: SRC (a pod, node, client or address), DST (also a service), PORT[/PROTO]. Give the file first.", valueName: "SRC DST PORT"))
    var explain: [String] = []

    @Flag(help: "With --explain in a dual-stack cluster: judge the connection over this family (default: the cluster's primary one).")
    var family: AddressFamilyFlag?

    @Argument(help: "The topology file of an applied cluster.")
    var file: String

    func validate() throws {
        if podsOnly, servicesOnly { throw ValidationError("give --pods-only or --services-only, not both") }
        guard (1...10_000).contains(connections) else { throw ValidationError("--connections must be between 1 and 10000") }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be more than 0 and at most 60 seconds") }
    }

    func run() throws {
        if !explain.isEmpty { return try runExplain() }
        let state = try ClusterState.load(path: file, host: node)
        let topology = state.topology
        if node == nil, state.live.namespaces.values.contains(where: { $0.mark.role.contains("@") }) {
            Terminal.writeError("podnet: note: cluster '\(topology.name)' was applied in host mode (podnet apply --node); give --node NAME to compare the kernel with the file as that node")
        } else if let plan = try? state.plan(), !plan.isEmpty {
            Terminal.writeError("podnet: note: the kernel differs from the file in \(plan.operations.count) place\(plan.operations.count == 1 ? "" : "s") (podnet diff\(node.map { " --node \($0)" } ?? "") shows them, podnet apply repairs them); failures below may come from that")
        }
        // Host mode: the node's own links (its bridge) live in this namespace, its pods' in theirs.
        let nodeObjects = state.live.links.values.contains { $0.id.namespace == .current && $0.mark?.isOwned(by: topology.name) == true }
        guard !state.live.namespaces.isEmpty || nodeObjects else {
            let applyCommand = node.map { "podnet apply --node \($0) \(file)" } ?? "podnet apply \(file)"
            Terminal.writeError("podnet: error: cluster '\(topology.name)' is not applied\(node.map { " on node \($0)" } ?? "") (no namespace \(topology.name).*); run \(applyCommand) first")
            throw ExitCode.failure
        }
        // Host mode has no clients (lab only), and its desired state holds no uplink
        // address to expect after masquerade: traffic from outside is probed in labs.
        var probed = topology
        if node != nil { probed.clients = [] }
        let expectations = ConnectivityExpectations(topology: probed, nodeAddresses: NodeAddresses.of(state.desired, topology: topology))
        let namespaces = PodNamespaces(cluster: topology.name, pods: expectations.pods)
        if !namespaces.missing.isEmpty {
            Terminal.writeError("podnet: note: no namespace for pod\(namespaces.missing.count == 1 ? "" : "s") \(namespaces.missing.joined(separator: ", ")): not applied?")
        }
        let clients = PodNamespaces(cluster: topology.name, members: probed.clients.map(\.name))
        if !clients.missing.isEmpty {
            Terminal.writeError("podnet: note: no namespace for client\(clients.missing.count == 1 ? "" : "s") \(clients.missing.joined(separator: ", ")): not applied?")
        }
        let externalTargets = node == nil && via == .clusterIP && !podsOnly ? expectations.externalTargets() : []

        Self.noteNeighbourTable(needed: expectations.neighbourEntriesForFullMesh)

        var observations = ConnectivityObservations(echoTimeout: timeout, connectionsPerPod: connections)
        var timings: [String] = []
        if !servicesOnly {
            let start = Date()
            // Every family the cluster has, each in its own matrix.
            let families = topology.familiesIPv4First
            let matrices = ProbeRun.echo(expectations, namespaces: namespaces, timeout: timeout, families: families)
            observations.echo = matrices[.ipv4]
            observations.echoV6 = matrices[.ipv6]
            timings.append("\(expectations.pods.count * expectations.pods.count * families.count) pod pairs in \(Self.seconds(since: start))")
        }
        let policyPorts = expectations.policyProbePorts
        if !servicesOnly, !policyPorts.isEmpty {
            let start = Date()
            // Every family the cluster has, in one sweep: IPv6's matrix beside IPv4's.
            let families = topology.familiesIPv4First
            do {
                let matrices = try ProbeRun.policy(expectations, namespaces: namespaces, ports: policyPorts, timeout: timeout + 1, families: families)
                observations.policy = matrices[.ipv4]
                observations.policyV6 = matrices[.ipv6]
                observations.policyPorts = policyPorts
            } catch {
                Terminal.writeError("podnet: error: cannot start the policy probes' listeners: \(error); stop that server, or check with --services-only")
                throw ExitCode.failure
            }
            let probes = families.reduce(0) { total, family in
                let pods = expectations.pods.filter { $0.ip(family) != nil }.count
                return total + pods * pods * policyPorts.count
            }
            timings.append("\(probes) policy probes in \(Self.seconds(since: start))")
        }
        if servicesOnly || (!podsOnly && !topology.services.isEmpty) {
            let start = Date()
            let targets = expectations.serviceTargets(via: via)
            let sources = namespaces.handles + clients.handles
            do {
                let observed = try ProbeRun.services(targets + externalTargets, expectations: expectations, sources: sources,
                                                     connections: connections, timeout: timeout + 1)
                observations.services = Array(observed.prefix(targets.count))
                if !externalTargets.isEmpty { observations.external = Array(observed.dropFirst(targets.count)) }
            } catch {
                Terminal.writeError("podnet: error: cannot start the services' listeners: \(error); stop that server, or check with --pods-only")
                throw ExitCode.failure
            }
            func count(_ observed: [ServiceObservation]?) -> Int {
                (observed ?? []).reduce(0) { $0 + $1.connections.reduce(0) { $0 + $1.count } }
            }
            let made = count(observations.services), external = count(observations.external)
            let share = external > 0 ? " (\(external) of them to NodePorts and external IPs)" : ""
            if made + external > 0 { timings.append("\(made + external) service connections in \(Self.seconds(since: start))\(share)") }
        }
        if !timings.isEmpty { Terminal.writeError("podnet: probed " + timings.joined(separator: ", ")) }

        let report = ConnectivityReport(cluster: topology.name, expectations: expectations, observations: observations)
        switch output {
        case .text:
            Terminal.write(ConnectivityReportText().render(report))
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.write(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
        if !report.ok { throw ExitCode.failure }
    }

    func runExplain() throws {
        let topologyFile = TopologyFile(path: file)
        topologyFile.reportDiagnostics()
        guard let topology = topologyFile.result.topology else { throw ExitCode.failure }
        let (lines, allowed) = try PolicyExplanation.explain(explain, in: topology, family: family?.addressFamily)
        Terminal.write(lines.joined(separator: "\n"))
        if !allowed { throw ExitCode.failure }
    }

    /// The kernel's neighbour table is one for all namespaces; a lab whose full mesh
    /// needs more entries than it keeps fails pairs for that alone. Said up front,
    /// since the failures themselves (timeouts, ENOBUFS) do not say why.
    static func noteNeighbourTable(needed: Int) {
        let path = "/proc/sys/net/ipv4/neigh/default/gc_thresh3"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let limit = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) }), needed > limit else { return }
        Terminal.writeError("podnet: note: every pod reaching every pod needs about \(needed) neighbour (ARP) entries, and the kernel keeps at most \(limit) for all namespaces together (sysctl net.ipv4.neigh.default.gc_thresh3): pairs may fail for that alone. Raise it, e.g. sysctl -w net.ipv4.neigh.default.gc_thresh3=\(max(8192, needed * 2)) net.ipv4.neigh.default.gc_thresh2=\(max(4096, needed))")
    }

    static func seconds(since start: Date) -> String {
        FixedPoint.text(Date().timeIntervalSince(start), places: 2) + " s"
    }
}

extension ServiceTarget.Via: ExpressibleByArgument {}

/// The pods' (or clients') namespaces, opened once: a handle per member, or nil where there is none.
struct PodNamespaces {
    let names: [NetnsName?]
    let handles: [NetnsHandle?]

    init(cluster: String, pods: [Pod], directory: NetnsDirectory = NetnsDirectory()) {
        self.init(cluster: cluster, members: pods.map(\.name), directory: directory)
    }

    init(cluster: String, members: [String], directory: NetnsDirectory = NetnsDirectory()) {
        names = members.map { try? NetnsName(KernelNames.namespace(cluster: cluster, member: $0)) }
        handles = names.map { name in name.flatMap { try? directory.open($0) } }
    }

    var missing: [String] {
        zip(names, handles).compactMap { name, handle in handle == nil ? name?.rawValue ?? "?" : nil }
    }
}

/// The kernel probes run for a check, their outcomes put in the report's words.
enum ProbeRun {
    /// Probing is kernel work (every packet crosses veths and bridges in the
    /// sender's system call), so it spreads over the cores.
    static let workers = max(2, min(8, ProcessInfo.processInfo.activeProcessorCount))

    /// The echo matrix of each family in `families`, `[family][source][destination]`:
    /// one sweep to every pod's address of every family (a socket per family in
    /// each pod), its columns then dealt out per family. A pod without an address
    /// of a family is not probed there.
    static func echo(_ expectations: ConnectivityExpectations, namespaces: PodNamespaces, timeout: Double,
                     families: [AddressFamily] = [.ipv4]) -> [AddressFamily: [[EchoObservation]]] {
        let present = namespaces.handles.enumerated().compactMap { index, handle in handle.map { (index, $0) } }
        // (family, pod) of each destination, in the sweep's order.
        let columns = families.flatMap { family in expectations.pods.indices.compactMap { pod in expectations.pods[pod].ip(family).map { (family, pod, $0) } } }
        let sweep = EchoSweep(destinations: columns.map(\.2), timeout: .milliseconds(Int(timeout * 1000)), threads: workers)
        let pods = expectations.pods.count
        var matrices = Dictionary(uniqueKeysWithValues: families.map { family in
            (family, Array(repeating: Array(repeating: EchoObservation.notProbed("the pod has no \(family.name) address"), count: pods), count: pods))
        })
        for family in families {
            for row in 0..<pods where namespaces.handles[row] == nil {
                matrices[family]![row] = Array(repeating: .notProbed("the pod has no namespace"), count: pods)
            }
        }
        for ((row, _), result) in zip(present, sweep.run(from: present.map(\.1))) {
            switch result {
            case .success(let outcomes):
                for ((family, pod, _), outcome) in zip(columns, outcomes) { matrices[family]![row][pod] = observation(outcome) }
            case .failure(let error):
                for family in families { matrices[family]![row] = Array(repeating: .notProbed(error.description), count: pods) }
            }
        }
        return matrices
    }

    static func observation(_ outcome: EchoOutcome) -> EchoObservation {
        switch outcome {
        case .replied: .replied
        case .unreachable(let refusal): .unreachable(refusal.description)
        case .timedOut: .timedOut
        }
    }

    /// Starts the listeners the targets need, makes every source's connections to
    /// every target (each target from the first `expected.count` sources), and stops
    /// the listeners (however this returns).
    /// - Parameter sources: a handle per source of `expectations.sources`, nil where it has no namespace.
    static func services(_ targets: [ServiceTarget], expectations: ConnectivityExpectations, sources: [NetnsHandle?],
                         connections: Int, timeout: Double) throws(ListenerError) -> [ServiceObservation] {
        var groups: [(namespace: NetnsHandle, specs: [AnsweringListeners.Spec])] = []
        var groupOf: [String: Int] = [:]
        for listener in expectations.listeners(for: targets) {
            guard let pod = expectations.index(ofPod: listener.pod), let handle = sources[pod] else { continue }
            let spec = AnsweringListeners.Spec(port: UInt16(listener.port), protocol: listener.protocol == .udp ? .udp : .tcp,
                                               answer: listener.pod, tellsSource: true, family: listener.family)
            if let group = groupOf[listener.pod] {
                groups[group].specs.append(spec)
            } else {
                groupOf[listener.pod] = groups.count
                groups.append((handle, [spec]))
            }
        }
        let listeners = try AnsweringListeners(groups)
        defer { listeners.stop() }

        let present = sources.enumerated().compactMap { index, handle in handle.map { (index, $0) } }
        var probes: [ConnectionProbe] = []
        var cells: [(target: Int, source: Int)] = []
        for (targetIndex, target) in targets.enumerated() {
            for (position, (source, _)) in present.enumerated() where source < target.expected.count {
                probes.append(ConnectionProbe(source: position, destination: SocketAddress(target.address, port: UInt16(target.destinationPort)),
                                              protocol: target.port.protocol == .udp ? .udp : .tcp, count: connections))
                cells.append((targetIndex, source))
            }
        }
        // Failing connections wait out the timeout, so the more in flight, the
        // sooner a broken service is measured; descriptors bound how many.
        let descriptors = OpenFileLimit.raiseToHardLimit()
        var sweep = ConnectionSweep(timeout: .milliseconds(Int(timeout * 1000)), threads: workers)
        sweep.inFlight = max(64, min(4096, (descriptors - 512) / sweep.threads))
        let outcomes = sweep.run(probes, from: present.map(\.1))
        var observed = targets.map { target in
            Array(repeating: Array(repeating: ConnectionObservation.failed("the source has no namespace"), count: connections),
                  count: min(target.expected.count, expectations.sources.count))
        }
        for (cell, results) in zip(cells, outcomes) {
            observed[cell.target][cell.source] = results.map(observation)
        }
        return zip(targets, observed).map { ServiceObservation(target: $0, connections: $1) }
    }

    static func observation(_ outcome: ConnectionOutcome) -> ConnectionObservation {
        switch outcome {
        case .answered(let line): answer(line)
        case .refused: .refused
        case .unreachable(let errno): .unreachable(errno.description)
        case .timedOut(let connected): .timedOut(connected: connected)
        case .closedWithoutAnswer: .failed("closed without an answer")
        case .failed(let errno): .failed(errno.description)
        }
    }

    /// A listener's line, "a0 10.200.0.1": who answered and the source address it saw.
    static func answer(_ line: String) -> ConnectionObservation {
        guard let space = line.firstIndex(of: " ") else { return .answered(line) }
        return .answered(String(line[..<space]), source: IPAddress(line[line.index(after: space)...]))
    }
}
