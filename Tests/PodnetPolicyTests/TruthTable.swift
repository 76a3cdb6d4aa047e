import PodnetPolicy
import PodnetTopology
import Testing

/// The cluster of Kubernetes' e2e network policy tests and of cyclonus: namespaces
/// x, y and z (labelled `ns: NAME`), pods a, b and c in each (labelled
/// `pod: NAME`), here named xa … zc since pod names are unique in a podnet cluster.
/// Every pod serves 80 and 81 over TCP and UDP, with the named ports
/// `serve-80-tcp` … `serve-81-udp`. The a pods are on node-0 (10.200.0.0/24), the
/// b pods on node-1, the c pods on node-2; x's pod is .10, y's .20, z's .30, so
/// xb is 10.200.1.10 and 10.200.1.0/24 holds xb, yb and zb.
enum StandardCluster {
    static let pods = ["xa", "xb", "xc", "ya", "yb", "yc", "za", "zb", "zc"]

    /// The cluster with `policies` (YAML list items, indented by two) and, when
    /// given, extra labels for pods.
    static func yaml(policies: String, podLabels: [String: String] = [:]) -> String {
        var text = """
        name: std
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]
        namespaces:
          - { name: x, labels: { ns: x } }
          - { name: y, labels: { ns: y } }
          - { name: z, labels: { ns: z } }
        pods:

        """
        for (nodeIndex, pod) in ["a", "b", "c"].enumerated() {
            for (namespaceIndex, namespace) in ["x", "y", "z"].enumerated() {
                let extra = podLabels["\(namespace)\(pod)"].map { ", \($0)" } ?? ""
                text += """
                  - name: \(namespace)\(pod)
                    node: node-\(nodeIndex)
                    namespace: \(namespace)
                    ip: 10.200.\(nodeIndex).\((namespaceIndex + 1) * 10)
                    labels: { pod: \(pod)\(extra) }
                    ports:
                      - { name: serve-80-tcp, port: 80 }
                      - { name: serve-81-tcp, port: 81 }
                      - { name: serve-80-udp, port: 80, protocol: UDP }
                      - { name: serve-81-udp, port: 81, protocol: UDP }

                """
            }
        }
        return text + "networkPolicies:\n" + policies
    }

    static func topology(policies: String, podLabels: [String: String] = [:], warns: Bool = false,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> Topology {
        let result = TopologyLoader.load(text: yaml(policies: policies, podLabels: podLabels), file: "std.yaml")
        #expect(result.warnings.isEmpty != warns, "\(result.warnings.map { "\($0.line):\($0.column) \($0.message)" })", sourceLocation: sourceLocation)
        return try #require(result.topology, "invalid: \(result.errors.map { "\($0.line):\($0.column) \($0.message)" })",
                            sourceLocation: sourceLocation)
    }
}

/// Expected reachability on one port: rows are sources, columns destinations,
/// `✓` allowed, `·` denied, as `podnet check` prints its matrix.
struct Reachability: Sendable {
    var port: Int
    var `protocol`: PortProtocol
    var table: String

    init(_ port: Int, _ proto: PortProtocol, _ table: String) {
        self.port = port
        self.protocol = proto
        self.table = table
    }

    /// On TCP.
    init(_ port: Int, _ table: String) { self.init(port, .tcp, table) }

    /// (source, destination) → allowed.
    func cells() -> [(source: String, destination: String, allowed: Bool)] {
        let lines = table.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { !$0.isEmpty }
        let columns = lines[0]
        var cells: [(String, String, Bool)] = []
        for row in lines.dropFirst() {
            precondition(row.count == columns.count + 1, "row \(row[0]) has \(row.count - 1) cells for \(columns.count) columns")
            for (column, symbol) in zip(columns, row.dropFirst()) {
                precondition(symbol == "✓" || symbol == "·", "unknown cell '\(symbol)'")
                cells.append((row[0], column, symbol == "✓"))
            }
        }
        return cells
    }
}

/// One case: a topology and what it must allow.
struct TruthTableCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// Where the case comes from (the Kubernetes documentation, an upstream e2e
    /// test as cyclonus carries it, a cyclonus generator case).
    var source: String
    var policies: String
    var podLabels: [String: String] = [:]
    /// The case's policy draws a warning (Kubernetes accepts it, podnet points at it).
    var warns = false
    var expected: [Reachability]

    var testDescription: String { "\(name) [\(source)]" }
}

/// Every cell of every table of `testCase` compared with the evaluator; each
/// mismatch is reported with the evaluator's explanation.
func check(_ testCase: TruthTableCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let topology = try StandardCluster.topology(policies: testCase.policies, podLabels: testCase.podLabels, warns: testCase.warns, sourceLocation: sourceLocation)
    let evaluator = PolicyEvaluator(topology: topology)
    for reachability in testCase.expected {
        let cells = reachability.cells()
        #expect(cells.count == StandardCluster.pods.count * StandardCluster.pods.count, sourceLocation: sourceLocation)
        for cell in cells {
            let verdict = evaluator.verdict(from: .pod(cell.source), to: .pod(cell.destination), port: reachability.port,
                                            protocol: reachability.protocol)
            #expect(verdict.isAllowed == cell.allowed,
                    "expected \(cell.allowed ? "allowed" : "denied"): \(verdict.explanation.joined(separator: " | "))",
                    sourceLocation: sourceLocation)
        }
    }
}

/// Everything allowed: the table of a cluster without isolation.
let allAllowed = """
    xa xb xc ya yb yc za zb zc
xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
"""

/// Only xa's column closed (but for itself): ingress to xa denied.
let xaIngressDenied = """
    xa xb xc ya yb yc za zb zc
xa  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
xb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
xc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
ya  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
za  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zb  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zc  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
"""

/// Only xa's row closed (but for itself): egress from xa denied.
let xaEgressDenied = """
    xa xb xc ya yb yc za zb zc
xa  ✓  ·  ·  ·  ·  ·  ·  ·  ·
xb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
xc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
"""

/// Namespace x's columns closed (but for each pod itself): ingress to x denied.
let xIngressDenied = """
    xa xb xc ya yb yc za zb zc
xa  ✓  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
xb  ·  ✓  ·  ✓  ✓  ✓  ✓  ✓  ✓
xc  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓  ✓
ya  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
yb  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
yc  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
za  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
zb  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
zc  ·  ·  ·  ✓  ✓  ✓  ✓  ✓  ✓
"""

/// Namespace x's rows closed (but for each pod itself): egress from x denied.
let xEgressDenied = """
    xa xb xc ya yb yc za zb zc
xa  ✓  ·  ·  ·  ·  ·  ·  ·  ·
xb  ·  ✓  ·  ·  ·  ·  ·  ·  ·
xc  ·  ·  ✓  ·  ·  ·  ·  ·  ·
ya  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
yc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
za  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zb  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
zc  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓
"""
