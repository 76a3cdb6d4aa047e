import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetKernel
import PodnetRender
import PodnetTopology

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Measure connectivity from inside the pods: every pod to every pod, every pod to every service port.",
        discussion: """
        What the file promises, measured from inside the cluster's namespaces, the way \
        seed 003 checks each step with ping and nc:

        Pod to pod: an ICMP echo from inside every pod to every pod's IP (in-process, \
        all at once, a few retries within --timeout). Pods behind a bridge must reach \
        every such pod on every node; a pod of a `bridge: none` node must reach its \
        link peer and nothing else.

        Services: for the duration of the check, a listener inside each endpoint pod \
        on the targetPort (TCP or UDP) answers every connection with the pod's name. \
        Every pod then makes --connections connections to each ClusterIP:port, so the \
        table shows which endpoints answered and in what shares. A service without \
        endpoints must refuse connections at once (past the first few, the kernel's \
        ICMP rate limit may let the rest time out). The listeners are sockets of \
        this process: they close when the check ends, also on ^C; nothing is left \
        behind.

        The text output is a ✓/✗ matrix (summed per node beyond 40 pods) and a \
        services table, then every failure by name; -o json gives every pair and \
        every pod's counts per service port.

        Examples:
          podnet check topologies/host-gw.yaml
          podnet check -o json --pods-only cluster.yaml | jq '.failures[]'
          podnet check --services-only --connections 100 topologies/lab.yaml
          podnet check --via endpoints topologies/lab.yaml   # bypass the proxy
          ip netns exec HOST podnet check --node node-0 cluster.yaml   # host mode

        Exit status: 0 everything as expected, 1 something expected failed (each \
        failure is named) or the check could not run, 64 a usage mistake.
        """
    )

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Option(help: "Connections each pod makes to each service port.")
    var connections = 20

    @Option(help: ArgumentHelp("What service probes connect to: clusterIP (what clients use, load-balanced by the proxy), or endpoints (each endpoint's pod IP and targetPort).", valueName: "clusterIP|endpoints"))
    var via: ServiceTarget.Via = .clusterIP

    @Option(help: "Seconds an echo may take to be answered; connections get one more (room for a TCP SYN retransmission).")
    var timeout = 1.0

    @Flag(help: "Only pod to pod.")
    var podsOnly = false

    @Flag(help: "Only services.")
    var servicesOnly = false

    @Option(help: ArgumentHelp("Host mode: this machine is node NAME (see podnet apply --help): the kernel is compared with the file as that node's apply sees it. Probes run from every pod namespace on this machine: on hosts emulated in one machine that is every pod; on a real multi-host cluster other hosts' pods are reported as not probed, and their endpoints have no listener.", valueName: "NAME"))
    var node: String?

    @Argument(help: "The topology file of an applied cluster.")
    var file: String

    func validate() throws {
        if podsOnly, servicesOnly { throw ValidationError("give --pods-only or --services-only, not both") }
        guard (1...10_000).contains(connections) else { throw ValidationError("--connections must be between 1 and 10000") }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be more than 0 and at most 60 seconds") }
    }

    func run() throws {
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
        let expectations = ConnectivityExpectations(topology: topology)
        let namespaces = PodNamespaces(cluster: topology.name, pods: expectations.pods)
        if !namespaces.missing.isEmpty {
            Terminal.writeError("podnet: note: no namespace for pod\(namespaces.missing.count == 1 ? "" : "s") \(namespaces.missing.joined(separator: ", ")): not applied?")
        }

        Self.noteNeighbourTable(needed: expectations.neighbourEntriesForFullMesh)

        var observations = ConnectivityObservations(echoTimeout: timeout, connectionsPerPod: connections)
        var timings: [String] = []
        if !servicesOnly {
            let start = Date()
            observations.echo = ProbeRun.echo(expectations, namespaces: namespaces, timeout: timeout)
            timings.append("\(expectations.pods.count * expectations.pods.count) pod pairs in \(Self.seconds(since: start))")
        }
        if servicesOnly || (!podsOnly && !topology.services.isEmpty) {
            let start = Date()
            let targets = expectations.serviceTargets(via: via)
            do {
                observations.services = try ProbeRun.services(targets, expectations: expectations, namespaces: namespaces,
                                                              connections: connections, timeout: timeout + 1)
            } catch {
                Terminal.writeError("podnet: error: cannot start the services' listeners: \(error); stop that server, or check with --pods-only")
                throw ExitCode.failure
            }
            let made = (observations.services ?? []).reduce(0) { $0 + $1.connections.reduce(0) { $0 + $1.count } }
            if made > 0 { timings.append("\(made) service connections in \(Self.seconds(since: start))") }
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

/// The pods' namespaces, opened once: a handle per pod, or nil where there is none.
struct PodNamespaces {
    let names: [NetnsName?]
    let handles: [NetnsHandle?]

    init(cluster: String, pods: [Pod], directory: NetnsDirectory = NetnsDirectory()) {
        names = pods.map { try? NetnsName(KernelNames.namespace(cluster: cluster, member: $0.name)) }
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

    static func echo(_ expectations: ConnectivityExpectations, namespaces: PodNamespaces, timeout: Double) -> [[EchoObservation]] {
        let present = namespaces.handles.enumerated().compactMap { index, handle in handle.map { (index, $0) } }
        let sweep = EchoSweep(destinations: expectations.pods.map(\.ip), timeout: .milliseconds(Int(timeout * 1000)), threads: workers)
        var rows = Array(repeating: Array(repeating: EchoObservation.notProbed("the pod has no namespace"), count: expectations.pods.count),
                         count: expectations.pods.count)
        for ((index, _), result) in zip(present, sweep.run(from: present.map(\.1))) {
            switch result {
            case .success(let outcomes): rows[index] = outcomes.map(observation)
            case .failure(let error): rows[index] = rows[index].map { _ in .notProbed(error.description) }
            }
        }
        return rows
    }

    static func observation(_ outcome: EchoOutcome) -> EchoObservation {
        switch outcome {
        case .replied: .replied
        case .unreachable(let refusal): .unreachable(refusal.description)
        case .timedOut: .timedOut
        }
    }

    /// Starts the listeners the targets need, makes every pod's connections to every
    /// target, and stops the listeners (however this returns).
    static func services(_ targets: [ServiceTarget], expectations: ConnectivityExpectations, namespaces: PodNamespaces,
                         connections: Int, timeout: Double) throws(ListenerError) -> [ServiceObservation] {
        var groups: [(namespace: NetnsHandle, specs: [AnsweringListeners.Spec])] = []
        var groupOf: [String: Int] = [:]
        for listener in expectations.listeners(for: targets) {
            guard let pod = expectations.index(ofPod: listener.pod), let handle = namespaces.handles[pod] else { continue }
            let spec = AnsweringListeners.Spec(port: UInt16(listener.port), protocol: listener.protocol == .udp ? .udp : .tcp,
                                               answer: listener.pod)
            if let group = groupOf[listener.pod] {
                groups[group].specs.append(spec)
            } else {
                groupOf[listener.pod] = groups.count
                groups.append((handle, [spec]))
            }
        }
        let listeners = try AnsweringListeners(groups)
        defer { listeners.stop() }

        let present = namespaces.handles.enumerated().compactMap { index, handle in handle.map { (index, $0) } }
        var probes: [ConnectionProbe] = []
        var cells: [(target: Int, pod: Int)] = []
        for (targetIndex, target) in targets.enumerated() {
            for (source, (pod, _)) in present.enumerated() {
                probes.append(ConnectionProbe(source: source, destination: SocketAddress(target.address, port: UInt16(target.destinationPort)),
                                              protocol: target.port.protocol == .udp ? .udp : .tcp, count: connections))
                cells.append((targetIndex, pod))
            }
        }
        // Failing connections wait out the timeout, so the more in flight, the
        // sooner a broken service is measured; descriptors bound how many.
        let descriptors = OpenFileLimit.raiseToHardLimit()
        var sweep = ConnectionSweep(timeout: .milliseconds(Int(timeout * 1000)), threads: workers)
        sweep.inFlight = max(64, min(4096, (descriptors - 512) / sweep.threads))
        let outcomes = sweep.run(probes, from: present.map(\.1))
        var observed = targets.map { _ in
            Array(repeating: Array(repeating: ConnectionObservation.failed("the pod has no namespace"), count: connections),
                  count: expectations.pods.count)
        }
        for (cell, results) in zip(cells, outcomes) {
            observed[cell.target][cell.pod] = results.map(observation)
        }
        return zip(targets, observed).map { ServiceObservation(target: $0, connections: $1) }
    }

    static func observation(_ outcome: ConnectionOutcome) -> ConnectionObservation {
        switch outcome {
        case .answered(let pod): .answered(pod)
        case .refused: .refused
        case .unreachable(let errno): .unreachable(errno.description)
        case .timedOut(let connected): .timedOut(connected: connected)
        case .closedWithoutAnswer: .failed("closed without an answer")
        case .failed(let errno): .failed(errno.description)
        }
    }
}
