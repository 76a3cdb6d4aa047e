import PodnetAddress
import PodnetPolicy
import PodnetTopology

/// NetworkPolicy, measured: one cell per (sender, receiver) pair of pods, holding
/// one outcome per probed port (`ConnectivityExpectations.policyProbePorts`),
/// each held against what the policies allow, in one family: a dual-stack
/// cluster has one matrix per family, IPv6's probing every pod's IPv6 address.
public struct PolicyMatrix: Sendable {
    public struct Cell: Sendable, Equatable {
        public let port: PolicyProbePort
        /// Whether the receiver must answer: the policies allow the connection.
        public let expected: Bool
        public let observed: ConnectionObservation
        /// False where an end has no address of the matrix's family: nothing to
        /// probe, nothing to hold against the policies.
        public var probed = true
        public var answered: Bool { if case .answered = observed { return true } else { return false } }
        /// A denied connection must be dropped (it times out); a refusal is a
        /// mismatch too: something rejected what policies drop, or nothing listened.
        public var ok: Bool {
            guard probed else { return true }
            if expected { return answered }
            if case .timedOut = observed { return true }
            return false
        }
    }

    public let ports: [PolicyProbePort]
    /// `cells[source][destination][port]`.
    public let cells: [[[Cell]]]
    public let failures: [String]
    public let family: AddressFamily

    public var probes: Int { cells.reduce(0) { $0 + $1.reduce(0) { $0 + $1.filter(\.probed).count } } }
    public var asExpected: Int { cells.reduce(0) { $0 + $1.reduce(0) { $0 + $1.filter { $0.probed && $0.ok }.count } } }

    init(expectations: ConnectivityExpectations, ports: [PolicyProbePort], observed: [[[ConnectionObservation]]],
         family: AddressFamily = .ipv4) {
        let pods = expectations.pods
        self.ports = ports
        self.family = family
        cells = pods.indices.map { source in
            pods.indices.map { destination in
                ports.enumerated().map { index, port in
                    var cell = Cell(port: port, expected: expectations.expectsPolicyReach(from: source, to: destination, on: port, family: family),
                                    observed: observed[source][destination][index])
                    cell.probed = pods[source].ip(family) != nil && pods[destination].ip(family) != nil
                    return cell
                }
            }
        }
        var failures: [String] = []
        for (source, row) in cells.enumerated() {
            for (destination, cell) in row.enumerated() {
                for probe in cell where !probe.ok {
                    let address = pods[destination].ip(family).map(\.description) ?? ""
                    let pair = "\(pods[source].name) → \(pods[destination].name) (\(address)) \(probe.port)"
                    let why = expectations.policyVerdict(from: source, to: destination, on: probe.port, family: family).map(Self.reasons) ?? ""
                    let outcome = Self.describe(probe.observed)
                    if probe.expected {
                        failures.append("\(pair): \(outcome), but NetworkPolicy allows it (\(why))")
                    } else if probe.answered {
                        failures.append("\(pair): answered, but NetworkPolicy denies it (\(why))")
                    } else {
                        failures.append("\(pair): \(outcome), but a connection NetworkPolicy denies must be dropped, not refused (\(why))")
                    }
                }
            }
        }
        self.failures = failures
    }

    /// The verdict's two directions in one line: who isolates, which rule allows.
    static func reasons(_ verdict: PolicyVerdict) -> String {
        [verdict.egress.explanation, verdict.ingress.explanation].joined(separator: "; ")
    }

    static func describe(_ observation: ConnectionObservation) -> String {
        switch observation {
        case .answered(let pod, _): "answered by \(pod)"
        case .refused: "refused"
        case .unreachable(let reason): "unreachable (\(reason))"
        case .timedOut(let connected): connected ? "accepted but never answered" : "timed out"
        case .failed(let reason): "failed (\(reason))"
        }
    }
}
