import ArgumentParser
import PodnetAddress
import PodnetKernel
import PodnetPolicy
import PodnetRender
import PodnetTopology

extension ProbeRun {
    /// NetworkPolicy, measured: a listener in every pod on every probed port (TCP
    /// and UDP) in each family, and one connection from every pod to every pod's
    /// address of each family on each, all at once. Denied connections wait out the
    /// timeout; they run side by side, so the whole matrix takes about one timeout
    /// whatever the families.
    /// - Returns: per family, `[source][destination][port]`, aligned with the
    ///   expectations' pods; a pair where either pod lacks the family is not probed.
    static func policy(_ expectations: ConnectivityExpectations, namespaces: PodNamespaces, ports: [PolicyProbePort],
                       timeout: Double, families: [AddressFamily] = [.ipv4]) throws(ListenerError) -> [AddressFamily: [[[ConnectionObservation]]]] {
        let pods = expectations.pods
        let specs = ports.map { port in
            (port: UInt16(port.port), protocol: port.protocol == .udp ? ProbeProtocol.udp : .tcp)
        }
        var groups: [(namespace: NetnsHandle, specs: [AnsweringListeners.Spec])] = []
        for (pod, handle) in zip(pods, namespaces.handles) {
            guard let handle else { continue }
            let listening = families.filter { pod.ip($0) != nil }
            groups.append((handle, listening.flatMap { family in
                specs.map { AnsweringListeners.Spec(port: $0.port, protocol: $0.protocol, answer: pod.name, tellsSource: true, family: family) }
            }))
        }
        let listeners = try AnsweringListeners(groups)
        defer { listeners.stop() }

        let present = namespaces.handles.enumerated().compactMap { index, handle in handle.map { (index, $0) } }
        var probes: [ConnectionProbe] = []
        var cells: [(family: AddressFamily, source: Int, destination: Int, port: Int)] = []
        for family in families {
            for (position, (source, _)) in present.enumerated() where pods[source].ip(family) != nil {
                for (destination, pod) in pods.enumerated() {
                    guard let address = pod.ip(family) else { continue }
                    for (index, spec) in specs.enumerated() {
                        probes.append(ConnectionProbe(source: position, destination: SocketAddress(address, port: spec.port),
                                                      protocol: spec.protocol, count: 1))
                        cells.append((family, source, destination, index))
                    }
                }
            }
        }
        let descriptors = OpenFileLimit.raiseToHardLimit()
        var sweep = ConnectionSweep(timeout: .milliseconds(Int(timeout * 1000)), threads: workers)
        sweep.inFlight = max(64, min(4096, (descriptors - 512) / sweep.threads))
        let outcomes = sweep.run(probes, from: present.map(\.1))
        var observed = Dictionary(uniqueKeysWithValues: families.map { family in
            (family, Array(repeating: Array(repeating: Array(repeating: ConnectionObservation.failed("not probed: the source has no namespace or no \(family.name) address"),
                                                             count: ports.count), count: pods.count), count: pods.count))
        })
        for (cell, results) in zip(cells, outcomes) {
            observed[cell.family]![cell.source][cell.destination][cell.port] = results.first.map(observation) ?? .failed("not probed")
        }
        return observed
    }
}

/// `podnet check --explain SRC DST PORT[/PROTO]`: the policies' verdict on one
/// connection, from the file alone (nothing is probed, no root needed).
enum PolicyExplanation {
    /// The lines to print, and whether the connection is allowed; a usage mistake
    /// (unknown endpoint, bad port) is thrown as a ValidationError.
    /// - Parameter family: the connection's family between named pods, nodes and
    ///   services; nil: an address given decides it, else the cluster's primary one.
    static func explain(_ words: [String], in topology: Topology, family: AddressFamily? = nil) throws -> (lines: [String], allowed: Bool) {
        guard words.count == 3 else {
            throw ValidationError("--explain takes three values, SRC DST PORT[/PROTO] (e.g. --explain web db 5432/TCP); give the file before --explain")
        }
        let (port, proto) = try port(words[2])
        if let family, !topology.families.contains(family) {
            throw ValidationError("--explain: cluster \(topology.name) has no \(family.name) addresses")
        }
        let evaluator = PolicyEvaluator(topology: topology)
        guard let source = PolicyEndpoint(words[0], in: topology) else {
            throw ValidationError("--explain: '\(words[0])' is no pod, node, client or IP address of cluster \(topology.name)")
        }
        if topology.pod(named: words[1]) == nil, let service = topology.services.first(where: { $0.name == words[1] }) {
            let transport: ServicePort.TransportProtocol = proto == .udp ? .udp : .tcp
            let verdicts = evaluator.verdicts(from: source, toService: service.name, port: port, protocol: transport, family: family)
            guard !verdicts.isEmpty else {
                let ports = service.ports.map { "\($0.port)/\($0.protocol.rawValue.uppercased())" }.joined(separator: ", ")
                throw ValidationError("--explain: service \(service.name) has no port \(port)/\(proto.rawValue) with endpoints (its ports: \(ports))")
            }
            var lines = ["\(source) → service \(service.name) \(port)/\(proto.rawValue): policies judge each endpoint after DNAT, on its target port"]
            for item in verdicts {
                lines.append("endpoint \(item.endpoint) (target port \(item.targetPort)): \(item.verdict.isAllowed ? "allowed" : "denied")")
                lines += item.verdict.explanation.dropFirst().map { "  " + $0 }
            }
            let allowed = verdicts.filter(\.verdict.isAllowed).count
            lines.append(allowed == verdicts.count ? "every endpoint allowed" : allowed == 0 ? "every endpoint denied: the connection times out"
                         : "\(allowed) of \(verdicts.count) endpoints allowed: connections the proxy sends to the others time out")
            return (lines, allowed == verdicts.count)
        }
        guard let destination = PolicyEndpoint(words[1], in: topology) else {
            throw ValidationError("--explain: '\(words[1])' is no pod, service, node, client or IP address of cluster \(topology.name)")
        }
        let verdict = evaluator.verdict(from: source, to: destination, port: port, protocol: proto, family: family)
        return (verdict.explanation, verdict.isAllowed)
    }

    /// `5432`, `5432/TCP`, `53/udp`.
    static func port(_ text: String) throws -> (Int, PortProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let number = Int(parts[0]), (1...65535).contains(number) else {
            throw ValidationError("--explain: '\(text)' is not a port (1-65535, optionally /TCP, /UDP or /SCTP)")
        }
        guard parts.count == 2 else { return (number, .tcp) }
        guard let proto = PortProtocol(rawValue: parts[1].uppercased()) else {
            throw ValidationError("--explain: '\(parts[1])' is not a protocol: TCP, UDP or SCTP")
        }
        return (number, proto)
    }
}
