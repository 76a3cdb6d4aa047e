import PodnetAddress
import PodnetTopology

/// Observations held against expectations: a verdict per pod pair and per pod and
/// service target, and every failure said in one line that names who, what, and
/// how it failed. Pure, so formatting and verdicts are tested without a kernel.
public struct ConnectivityReport: Sendable {
    public let cluster: String
    public let pods: [Pod]
    public let matrix: PodMatrix?
    /// Pod to pod over IPv6 (ICMPv6 echo), in a dual-stack cluster.
    public let matrixV6: PodMatrix?
    /// Pod to pod on the ports policies name, where the cluster has policies.
    public let policy: PolicyMatrix?
    /// The same over IPv6, in a dual-stack cluster with policies.
    public let policyV6: PolicyMatrix?
    public let services: ServiceReport?
    /// NodePorts and external IPs, from every client and pod.
    public let external: ServiceReport?
    /// Everything expected that did not hold, one line each, matrix first.
    public let failures: [String]

    public var ok: Bool { failures.isEmpty }

    public init(cluster: String, expectations: ConnectivityExpectations, observations: ConnectivityObservations) {
        self.cluster = cluster
        pods = expectations.pods
        var failures: [String] = []
        if let echo = observations.echo {
            let matrix = PodMatrix(expectations: expectations, echo: echo, timeout: observations.echoTimeout)
            failures += matrix.failures
            self.matrix = matrix
        } else {
            matrix = nil
        }
        if let echo = observations.echoV6 {
            let matrix = PodMatrix(expectations: expectations, echo: echo, timeout: observations.echoTimeout, family: .ipv6)
            failures += matrix.failures
            matrixV6 = matrix
        } else {
            matrixV6 = nil
        }
        if let observed = observations.policy {
            let matrix = PolicyMatrix(expectations: expectations, ports: observations.policyPorts, observed: observed)
            failures += matrix.failures
            policy = matrix
        } else {
            policy = nil
        }
        if let observed = observations.policyV6 {
            let matrix = PolicyMatrix(expectations: expectations, ports: observations.policyPorts, observed: observed, family: .ipv6)
            failures += matrix.failures
            policyV6 = matrix
        } else {
            policyV6 = nil
        }
        if let services = observations.services {
            let report = ServiceReport(expectations: expectations, observations: services,
                                       connectionsPerPod: observations.connectionsPerPod)
            failures += report.failures
            self.services = report
        } else {
            services = nil
        }
        if let external = observations.external {
            let report = ServiceReport(expectations: expectations, observations: external,
                                       connectionsPerPod: observations.connectionsPerPod)
            failures += report.failures
            self.external = report
        } else {
            external = nil
        }
        self.failures = failures
    }
}

/// Pod to pod: one cell per (sender, receiver), in the pods' declaration order.
public struct PodMatrix: Sendable {
    public struct Cell: Sendable, Equatable {
        /// Whether the receiver must answer.
        public let expected: Bool
        public let observed: EchoObservation
        public var replied: Bool { observed == .replied }
        public var ok: Bool { expected == replied }
    }

    public let cells: [[Cell]]
    public let timeout: Double
    public let failures: [String]
    /// The family probed: ICMP echo to the pods' IPv4 addresses, or ICMPv6 echo to their IPv6 ones.
    public let family: AddressFamily

    public var pairs: Int { cells.reduce(0) { $0 + $1.count } }
    public var asExpected: Int { cells.reduce(0) { $0 + $1.filter(\.ok).count } }

    init(expectations: ConnectivityExpectations, echo: [[EchoObservation]], timeout: Double, family: AddressFamily = .ipv4) {
        let pods = expectations.pods
        self.timeout = timeout
        self.family = family
        cells = pods.indices.map { source in
            pods.indices.map { destination in
                Cell(expected: expectations.expectsEcho(from: source, to: destination, family: family),
                     observed: echo[source][destination])
            }
        }
        var failures: [String] = []
        for (source, row) in cells.enumerated() {
            for (destination, cell) in row.enumerated() where !cell.ok {
                let address = pods[destination].ip(family).map(\.description) ?? "no \(family.name) address"
                let pair = "\(pods[source].name) → \(pods[destination].name) (\(address))"
                if cell.expected {
                    failures.append("\(pair): \(Self.describe(cell.observed, timeout: timeout))")
                } else {
                    let reason = expectations.isolationReason(from: source, to: destination, family: family) ?? ""
                    failures.append("\(pair): answered, but must not: \(reason)")
                }
            }
        }
        self.failures = failures
    }

    static func describe(_ observation: EchoObservation, timeout: Double) -> String {
        switch observation {
        case .replied: "answered"
        case .timedOut: "no answer within \(Seconds(timeout)) s"
        case .unreachable(let reason): "unreachable: \(reason)"
        case .notProbed(let reason): "not probed: \(reason)"
        }
    }
}

/// Services: one row per target and source, and totals per target.
public struct ServiceReport: Sendable {
    public struct Row: Sendable {
        public let target: ServiceTarget
        public let source: String
        public let sourceKind: ProbeSource.Kind
        public let expected: ConnectionExpectation
        /// The source address the endpoint must see; nil where that is not checked.
        public let sourceSeen: SourceExpectation?
        /// The addresses `sourceSeen` allows (for the report; the check is per connection).
        public let allowedSources: [IPAddress]
        public let tally: ConnectionTally
        /// The source addresses the listeners saw, each with who holds it and how often.
        public let seen: [SeenSource]
        /// What went wrong, or nil when the row holds what was expected.
        public let problem: String?
        public var ok: Bool { problem == nil }
    }

    public struct SeenSource: Sendable, Equatable {
        public let address: String
        /// The node, pod or client holding the address; nil when none of the topology does.
        public let owner: String?
        public let count: Int
    }

    /// All sources' connections to one target, summed.
    public struct Total: Sendable {
        public let target: ServiceTarget
        public let tally: ConnectionTally
        public let failingSources: [String]
        /// Target-wide problems (an endpoint that never answered although it should have).
        public let problems: [String]
        public var ok: Bool { failingSources.isEmpty && problems.isEmpty }
    }

    public let connectionsPerPod: Int
    public let rows: [Row]
    public let totals: [Total]
    public let failures: [String]

    /// Below this probability, an endpoint that never answered is taken as broken
    /// rather than unlucky: with n endpoints chosen uniformly, one misses all of A
    /// answered connections with probability (1 - 1/n)^A.
    static let implausible = 1e-6

    init(expectations: ConnectivityExpectations, observations: [ServiceObservation], connectionsPerPod: Int) {
        self.connectionsPerPod = connectionsPerPod
        var rows: [Row] = []
        var totals: [Total] = []
        var failures: [String] = []
        for observation in observations {
            let target = observation.target
            var total = ConnectionTally()
            var chances = EndpointChances()
            var failing: [String] = []
            let probed = min(observation.connections.count, target.expected.count, expectations.sources.count)
            for index in 0..<probed {
                let source = expectations.sources[index]
                let connections = observation.connections[index]
                let tally = ConnectionTally(connections)
                guard tally.total > 0 else { continue }
                let expected = target.expected[index]
                let sourceSeen = target.sourcesSeen.indices.contains(index) ? target.sourcesSeen[index] : nil
                var problem = Self.problem(tally, expected: expected, target: target, source: index, expectations: expectations)
                if case .answered(let pods) = expected {
                    chances.add(tally, amongst: pods, sticky: target.oneEndpointPerSource)
                    let more = Self.affinityProblem(tally, target: target)
                        + Self.sourceProblem(connections, sourceSeen, from: source, expectations: expectations)
                    if !more.isEmpty { problem = ([problem].compactMap { $0 } + more).joined(separator: "; ") }
                }
                let allowed = sourceSeen.map { expectations.allowedSources($0, from: source, family: target.address.family) } ?? []
                let seen = tally.sources.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { address, count in
                    SeenSource(address: address, owner: IPAddress(address).flatMap(expectations.owner(of:)), count: count)
                }
                rows.append(Row(target: target, source: source.name, sourceKind: source.kind, expected: expected, sourceSeen: sourceSeen,
                                allowedSources: allowed, tally: tally, seen: seen, problem: problem))
                total.add(tally)
                if let problem {
                    failing.append(source.name)
                    failures.append("\(target.label) at \(target.destination) from \(source.name): \(problem)")
                }
            }
            var problems: [String] = []
            if !Self.isEndpointRoute(target.route) {
                for silent in chances.silentEndpoints(in: total) {
                    let problem = "endpoint \(silent.endpoint) answered none of \(silent.answered) answered connections (\(silent.odds) expected): is it missing from the load balancer?"
                    problems.append(problem)
                    failures.append("\(target.label) at \(target.destination): \(problem)")
                }
            }
            totals.append(Total(target: target, tally: total, failingSources: failing, problems: problems))
        }
        self.rows = rows
        self.totals = totals
        self.failures = failures
    }

    static func isEndpointRoute(_ route: ServiceTarget.Route) -> Bool {
        if case .endpoint = route { return true }
        return false
    }

    /// `sessionAffinity: ClientIP`: a source reaching more than one endpoint.
    static func affinityProblem(_ tally: ConnectionTally, target: ServiceTarget) -> [String] {
        guard target.oneEndpointPerSource, tally.answers.count > 1 else { return [] }
        return ["answered by \(tally.answers.keys.sorted().joined(separator: " and ")): one endpoint per client expected (sessionAffinity ClientIP)"]
    }

    /// Answered connections whose listener saw a source the expectation does not allow.
    static func sourceProblem(_ connections: [ConnectionObservation], _ expectation: SourceExpectation?, from source: ProbeSource,
                              expectations: ConnectivityExpectations) -> [String] {
        guard let expectation else { return [] }
        var wrong: [String: Int] = [:]
        var order: [String] = []
        for case .answered(let answerer, let seen?) in connections
        where !expectations.allows(seen, expectation, from: source, answeredBy: answerer) {
            let name = describe(seen, expectations: expectations)
            if wrong[name] == nil { order.append(name) }
            wrong[name, default: 0] += 1
        }
        guard !order.isEmpty else { return [] }
        let count = wrong.values.reduce(0, +)
        let sourceAddress = connections.lazy.compactMap { observation -> IPAddress? in
            if case .answered(_, let seen?) = observation { return source.address(seen.family) }
            return nil
        }.first.map(\.description) ?? (source.address(.ipv4) ?? source.address(.ipv6)).map(\.description) ?? "address"
        let must: String = switch expectation {
        case .node(let node): "an address of \(node) (masqueraded)"
        case .sender: "\(source.name)'s own \(sourceAddress) (kept)"
        case .senderUnlessHairpin: "\(source.name)'s own \(sourceAddress) (short-circuited, kept)"
        }
        return ["\(count) saw the source \(order.joined(separator: ", ")), not \(must)"]
    }

    /// `10.200.0.1 (node-0)`: an address and who holds it.
    static func describe(_ address: IPAddress, expectations: ConnectivityExpectations) -> String {
        expectations.owner(of: address).map { "\(address) (\($0))" } ?? address.description
    }

    static func problem(_ tally: ConnectionTally, expected: ConnectionExpectation, target: ServiceTarget,
                        source: Int, expectations: ConnectivityExpectations) -> String? {
        let total = tally.total
        switch expected {
        case .answered(let pods):
            var parts: [String] = []
            let strangers = tally.answers.keys.filter { !pods.contains($0) }.sorted()
            if !strangers.isEmpty {
                let count = strangers.reduce(0) { $0 + tally.answers[$1]! }
                let local = target.policy == .local && pods.count < target.endpoints.count
                let kind = pods.count == 1 ? "the endpoint" : "an endpoint"
                parts.append("\(count) answered by \(strangers.joined(separator: ", ")), not \(local ? "a local endpoint (\(pods.joined(separator: ", ")))" : kind)")
            }
            parts += misses(tally, includingRefused: true)
            guard !parts.isEmpty else { return nil }
            return "\(parts.joined(separator: ", ")) (of \(total))"
        case .rejected:
            // A reject is an ICMP port unreachable (kube-proxy's nftables and iptables
            // rules alike), and the kernel rate-limits those per client
            // (net.ipv4.icmp_ratelimit: 6 at once, then one a second): past the
            // first few, connections may time out instead. Refused at least once and
            // nothing else is a working reject.
            let rateLimited = tally.refused > 0 && tally.refused + tally.timeouts == total
            guard !rateLimited else { return nil }
            var parts: [String] = []
            if tally.answered > 0 {
                parts.append("\(tally.answered) answered by \(tally.answers.keys.sorted().joined(separator: ", "))")
            }
            parts += misses(tally, includingRefused: false)
            return "\(parts.joined(separator: ", ")) (of \(total)); with no endpoints, every connection must be refused at once"
        case .dropped:
            guard tally.timeouts < total else { return nil }
            var parts: [String] = []
            if tally.answered > 0 {
                parts.append("\(tally.answered) answered by \(tally.answers.keys.sorted().joined(separator: ", "))")
            }
            parts += misses(tally, includingRefused: true).filter { !$0.contains("timed out") }
            let node = target.route.receivingNode ?? expectations.sources[source].node ?? "the node"
            let policy = target.route.isExternal ? "externalTrafficPolicy" : "internalTrafficPolicy"
            return "\(parts.joined(separator: ", ")) (of \(total)); \(node) has no local endpoint and must drop every connection (\(policy) Local), not answer or refuse it"
        case .filtered(let allowed, let endpoints):
            var parts: [String] = []
            let strangers = tally.answers.keys.filter { !allowed.contains($0) }.sorted()
            if !strangers.isEmpty {
                let count = strangers.reduce(0) { $0 + tally.answers[$1]! }
                parts.append("\(count) answered by \(strangers.joined(separator: ", ")), which NetworkPolicy denies to \(expectations.sources[source].name)")
            }
            parts += misses(tally, includingRefused: true).filter { !$0.contains("timed out") }
            guard !parts.isEmpty else { return nil }
            let denied = endpoints.filter { !allowed.contains($0) }
            return "\(parts.joined(separator: ", ")) (of \(total)); NetworkPolicy allows \(allowed.isEmpty ? "none of the endpoints" : allowed.joined(separator: ", ")) and drops connections to \(denied.joined(separator: ", "))"
        case .unreachable:
            guard tally.answered > 0 else { return nil }
            let reason: String
            switch target.route {
            case .clusterIP, .nodePort, .externalIP:
                let pod = expectations.pods[source]
                reason = "\(pod.name) is on bridge-less node \(pod.node): it has no route to \(target.route == .clusterIP ? "ClusterIPs" : "its node's network")"
            case .endpoint(let endpoint):
                reason = expectations.index(ofPod: endpoint).flatMap { expectations.isolationReason(from: source, to: $0, family: target.address.family) } ?? ""
            }
            return "\(tally.answered) of \(total) answered (by \(tally.answers.keys.sorted().joined(separator: ", "))), but must not: \(reason)"
        }
    }

    /// "3 refused, 2 unreachable (No route to host), 1 timed out".
    private static func misses(_ tally: ConnectionTally, includingRefused: Bool) -> [String] {
        var parts: [String] = []
        if includingRefused, tally.refused > 0 { parts.append("\(tally.refused) refused") }
        let reasons = tally.reasons.isEmpty ? "" : " (\(tally.reasons.joined(separator: "; ")))"
        if tally.unreachable > 0 { parts.append("\(tally.unreachable) unreachable" + (tally.failed == 0 ? reasons : "")) }
        if tally.failed > 0 { parts.append("\(tally.failed) failed" + reasons) }
        if tally.timeouts > 0 {
            let accepted = tally.acceptedTimeouts > 0 ? ", \(tally.acceptedTimeouts) of them accepted but never answered" : ""
            parts.append("\(tally.timeouts) timed out\(accepted)")
        }
        return parts
    }
}

/// How unlikely it is that an endpoint answered none of a target's connections,
/// had every source's load balancer picked uniformly among the endpoints it may
/// use: the product over rows of (1 - 1/n)^A, n the endpoints the row may reach
/// and A its answered connections (1 per row under session affinity: a client
/// picks once).
struct EndpointChances {
    private var chance: [String: Double] = [:]
    private var answered: [String: Int] = [:]
    private var candidates: [String: Set<Int>] = [:]
    private var order: [String] = []

    mutating func add(_ tally: ConnectionTally, amongst endpoints: [String], sticky: Bool) {
        guard endpoints.count > 1, tally.answered > 0 else { return }
        let trials = sticky ? 1 : tally.answered
        let miss = 1 - 1 / Double(endpoints.count)
        for endpoint in endpoints {
            if chance[endpoint] == nil { order.append(endpoint) }
            var value = chance[endpoint] ?? 1
            for _ in 0..<trials {
                value *= miss
                if value < ServiceReport.implausible { break }
            }
            chance[endpoint] = value
            answered[endpoint, default: 0] += tally.answered
            candidates[endpoint, default: []].insert(endpoints.count)
        }
    }

    /// The endpoints that never answered although that is implausible, with the
    /// answered connections they could have had and their odds ("1 in 2").
    func silentEndpoints(in total: ConnectionTally) -> [(endpoint: String, answered: Int, odds: String)] {
        order.compactMap { endpoint in
            guard (total.answers[endpoint] ?? 0) == 0, let value = chance[endpoint], value < ServiceReport.implausible else { return nil }
            let sizes = candidates[endpoint, default: []].sorted()
            let odds = sizes.count == 1 ? "1 in \(sizes[0])" : "1 in \(sizes.first!)–\(sizes.last!)"
            return (endpoint, answered[endpoint] ?? 0, odds)
        }
    }
}

/// Seconds as a person writes them: 1, 0.5, 2.25.
struct Seconds: CustomStringConvertible {
    let value: Double
    init(_ value: Double) { self.value = value }
    var description: String {
        let hundredths = Int((value * 100).rounded())
        if hundredths % 100 == 0 { return String(hundredths / 100) }
        let fraction = hundredths % 100
        let digits = fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0" : "") + String(fraction)
        return "\(hundredths / 100).\(digits)"
    }
}
