import PodnetTopology

/// Observations held against expectations: a verdict per pod pair and per pod and
/// service target, and every failure said in one line that names who, what, and
/// how it failed. Pure, so formatting and verdicts are tested without a kernel.
public struct ConnectivityReport: Sendable {
    public let cluster: String
    public let pods: [Pod]
    public let matrix: PodMatrix?
    public let services: ServiceReport?
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
        if let services = observations.services {
            let report = ServiceReport(expectations: expectations, observations: services,
                                       connectionsPerPod: observations.connectionsPerPod)
            failures += report.failures
            self.services = report
        } else {
            services = nil
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

    public var pairs: Int { cells.reduce(0) { $0 + $1.count } }
    public var asExpected: Int { cells.reduce(0) { $0 + $1.filter(\.ok).count } }

    init(expectations: ConnectivityExpectations, echo: [[EchoObservation]], timeout: Double) {
        let pods = expectations.pods
        self.timeout = timeout
        cells = pods.indices.map { source in
            pods.indices.map { destination in
                Cell(expected: expectations.expectsReach(from: source, to: destination),
                     observed: echo[source][destination])
            }
        }
        var failures: [String] = []
        for (source, row) in cells.enumerated() {
            for (destination, cell) in row.enumerated() where !cell.ok {
                let pair = "\(pods[source].name) → \(pods[destination].name) (\(pods[destination].ip))"
                if cell.expected {
                    failures.append("\(pair): \(Self.describe(cell.observed, timeout: timeout))")
                } else {
                    let reason = expectations.isolationReason(from: source, to: destination) ?? ""
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

/// Services: one row per target and pod, and totals per target.
public struct ServiceReport: Sendable {
    public struct Row: Sendable {
        public let target: ServiceTarget
        public let source: String
        public let expected: ConnectionExpectation
        public let tally: ConnectionTally
        /// What went wrong, or nil when the row holds what was expected.
        public let problem: String?
        public var ok: Bool { problem == nil }
    }

    /// All pods' connections to one target, summed.
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
            var answeredWhereExpected = ConnectionTally()
            var failing: [String] = []
            for (index, pod) in expectations.pods.enumerated() where index < observation.connections.count {
                let tally = ConnectionTally(observation.connections[index])
                guard tally.total > 0 else { continue }
                let expected = target.expected[index]
                let problem = Self.problem(tally, expected: expected, target: target, source: index, expectations: expectations)
                rows.append(Row(target: target, source: pod.name, expected: expected, tally: tally, problem: problem))
                total.add(tally)
                if case .answered = expected { answeredWhereExpected.add(tally) }
                if let problem {
                    failing.append(pod.name)
                    failures.append("\(target.label) at \(target.destination) from \(pod.name): \(problem)")
                }
            }
            var problems: [String] = []
            if case .clusterIP = target.route, target.endpoints.count > 1 {
                for silent in Self.silentEndpoints(target.endpoints, in: answeredWhereExpected) {
                    let problem = "endpoint \(silent) answered none of \(answeredWhereExpected.answered) answered connections (1 in \(target.endpoints.count) expected): is it missing from the load balancer?"
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

    /// The endpoints that never answered although, had the load balancer picked
    /// among all of them alike, that would be implausible (see `implausible`).
    static func silentEndpoints(_ endpoints: [String], in tally: ConnectionTally) -> [String] {
        let answered = tally.answered
        guard endpoints.count > 1, answered > 0 else { return [] }
        let miss = 1 - 1 / Double(endpoints.count)
        var chance = 1.0
        for _ in 0..<answered {
            chance *= miss
            if chance < implausible { break }
        }
        guard chance < implausible else { return [] }
        return endpoints.filter { (tally.answers[$0] ?? 0) == 0 }
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
                parts.append("\(count) answered by \(strangers.joined(separator: ", ")), not \(pods.count == 1 ? "the endpoint" : "an endpoint")")
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
        case .unreachable:
            guard tally.answered > 0 else { return nil }
            let reason: String
            switch target.route {
            case .clusterIP:
                let pod = expectations.pods[source]
                reason = "\(pod.name) is on bridge-less node \(pod.node): it has no route to ClusterIPs"
            case .endpoint(let endpoint):
                reason = expectations.index(ofPod: endpoint).flatMap { expectations.isolationReason(from: source, to: $0) } ?? ""
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
