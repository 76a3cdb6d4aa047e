import PodnetAddress
import PodnetTopology

/// A report as people read it: the pod matrix (or, for many pods, a node-by-node
/// summary of it), the services table, then the verdict and each failure.
public struct ConnectivityReportText: Sendable {
    /// Up to this many pods the matrix is pod by pod, and services are listed per
    /// pod; beyond, both are summed per node and per target.
    public var maxDetailedPods: Int
    /// Failures listed in full; the rest are counted (the JSON output lists all).
    public var maxListedFailures: Int

    public init(maxDetailedPods: Int = 40, maxListedFailures: Int = 25) {
        self.maxDetailedPods = maxDetailedPods
        self.maxListedFailures = maxListedFailures
    }

    public static let legend = "✓ answered   · no answer, as expected   ✗ no answer, expected one   ! answered, expected none"

    public func render(_ report: ConnectivityReport) -> String {
        var sections: [String] = []
        let detailed = report.pods.count <= maxDetailedPods
        // A matrix per family (IPv4's first, as it always was), each read alone.
        for matrix in [report.matrix, report.matrixV6].compactMap({ $0 }) {
            sections.append(detailed ? podMatrix(matrix, pods: report.pods) : nodeMatrix(matrix, pods: report.pods))
        }
        for policy in [report.policy, report.policyV6].compactMap({ $0 }) {
            sections.append(detailed ? policyMatrix(policy, pods: report.pods) : policyNodeMatrix(policy, pods: report.pods))
        }
        if let services = report.services {
            sections.append(detailed ? serviceRows(services) : serviceTotals(services, pods: report.pods.count))
        }
        if let external = report.external {
            sections.append(detailed ? externalRows(external) : externalTotals(external))
        }
        sections.append(verdict(report))
        return sections.joined(separator: "\n\n")
    }

    static func symbol(_ cell: PodMatrix.Cell) -> String {
        switch (cell.expected, cell.replied) {
        case (true, true): "✓"
        case (false, false): "·"
        case (true, false): "✗"
        case (false, true): "!"
        }
    }

    static func symbol(_ cell: PolicyMatrix.Cell) -> String {
        guard cell.probed else { return "-" }
        return switch (cell.expected, cell.ok) {
        case (true, true): "✓"
        case (false, true): "·"
        case (true, false): "✗"
        case (false, false): "!"
        }
    }

    /// One column per receiver, one symbol per probed port in each cell, in the
    /// order the header lists them.
    func policyMatrix(_ matrix: PolicyMatrix, pods: [Pod]) -> String {
        var rows: [[String]] = [["", ""] + pods.indices.map { String($0 + 1) }]
        for (index, row) in matrix.cells.enumerated() {
            rows.append([String(index + 1), pods[index].name] + row.map { $0.map(Self.symbol).joined() })
        }
        return """
            \(Self.policyHeading(matrix.family)): a connection from inside each pod to \(Self.policyTargets(matrix.family)) (row connects, column answers) \
            on \(matrix.ports.map(\.description).joined(separator: ", ")), one symbol per port in that order

            \(Columns(rows, rightAligned: [0], separator: " ", indent: "  ").text)

              ✓ allowed, answered   · denied, dropped   ✗ allowed, not answered   ! denied, answered (or refused)
            """
    }

    /// "NetworkPolicy", "NetworkPolicy over IPv6".
    static func policyHeading(_ family: AddressFamily) -> String { family == .ipv4 ? "NetworkPolicy" : "NetworkPolicy over IPv6" }
    /// IPv4's words unchanged beside IPv6's.
    static func policyTargets(_ family: AddressFamily) -> String { family == .ipv4 ? "every pod" : "every pod's IPv6 address" }

    /// The policy matrix summed per pair of nodes.
    func policyNodeMatrix(_ matrix: PolicyMatrix, pods: [Pod]) -> String {
        let table = Self.nodePairTable(pods: pods) { source, destination in
            let cell = matrix.cells[source][destination]
            return (cell.filter(\.ok).count, cell.count)
        }
        return """
            \(Self.policyHeading(matrix.family)): every pod to \(Self.policyTargets(matrix.family)) on \(matrix.ports.map(\.description).joined(separator: ", ")), \
            summed per node pair (✓ every probe as the policies say, else as expected/probes)

            \(table)
            """
    }

    /// Pod-pair results summed per pair of nodes (row: the senders' node, column: the
    /// receivers'): ✓ where all are as expected, else "as expected/all".
    /// - Parameter count: for a pair of pod indices, how many of its results are as
    ///   expected, and of how many.
    static func nodePairTable(pods: [Pod], count: (Int, Int) -> (good: Int, all: Int)) -> String {
        var nodes: [String] = []
        for pod in pods where !nodes.contains(pod.node) { nodes.append(pod.node) }
        let nodeIndex = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1, $0) })
        var good = Array(repeating: Array(repeating: 0, count: nodes.count), count: nodes.count)
        var all = good
        for source in pods.indices {
            let from = nodeIndex[pods[source].node]!
            for destination in pods.indices {
                let to = nodeIndex[pods[destination].node]!
                let (ok, total) = count(source, destination)
                all[from][to] += total
                good[from][to] += ok
            }
        }
        var rows: [[String]] = [["", ""] + nodes.indices.map { String($0 + 1) }]
        for (index, node) in nodes.enumerated() {
            rows.append([String(index + 1), node] + nodes.indices.map { to in
                good[index][to] == all[index][to] ? "✓" : "\(good[index][to])/\(all[index][to])"
            })
        }
        return Columns(rows, rightAligned: Set([0] + nodes.indices.map { $0 + 2 }), separator: "  ", indent: "  ").text
    }

    func podMatrix(_ matrix: PodMatrix, pods: [Pod]) -> String {
        var rows: [[String]] = [["", ""] + pods.indices.map { String($0 + 1) }]
        for (index, row) in matrix.cells.enumerated() {
            rows.append([String(index + 1), pods[index].name] + row.map(Self.symbol))
        }
        return """
            \(Self.echoHeading(matrix.family)): \(Self.echoMethod(matrix.family)) from inside each pod to every pod's \(Self.echoAddress(matrix.family)) (row sends, column answers)

            \(Columns(rows, rightAligned: [0], separator: " ", indent: "  ").text)

              \(Self.legend)
            """
    }

    /// The matrix summed per pair of nodes: ✓ when every pair of their pods is as
    /// expected, else "as expected/pairs".
    func nodeMatrix(_ matrix: PodMatrix, pods: [Pod]) -> String {
        let table = Self.nodePairTable(pods: pods) { source, destination in (matrix.cells[source][destination].ok ? 1 : 0, 1) }
        return """
            \(Self.echoHeading(matrix.family)), by node: \(Self.echoMethod(matrix.family)) from inside each of \(pods.count) pods to every pod's \(Self.echoAddress(matrix.family)) (row: the senders' node, column: the receivers'; ✓ all pairs as expected, else as expected/pairs)

            \(table)
            """
    }

    /// "pod → pod", "pod → pod over IPv6": IPv4's words unchanged beside IPv6's.
    static func echoHeading(_ family: AddressFamily) -> String { family == .ipv4 ? "pod → pod" : "pod → pod over IPv6" }
    static func echoMethod(_ family: AddressFamily) -> String { family == .ipv4 ? "ICMP echo" : "ICMPv6 echo" }
    static func echoAddress(_ family: AddressFamily) -> String { family == .ipv4 ? "IP" : "IPv6 address" }

    func serviceHeading(_ services: ServiceReport) -> String {
        let route = services.totals.contains { if case .endpoint = $0.target.route { true } else { false } }
            ? "each endpoint's pod IP and targetPort (bypassing the proxy)" : "each service's ClusterIP and port"
        return "services: \(services.connectionsPerPod) connections from each pod to \(route); the endpoints answer with their pod's name"
    }

    static func targetLabel(_ target: ServiceTarget) -> String {
        switch target.route {
        case .clusterIP: target.label
        case .endpoint(let pod): "\(target.label) via \(pod)"
        case .nodePort(let node): "\(target.label) NodePort on \(node)"
        case .externalIP(let node): "\(target.label) external IP at \(node)"
        }
    }

    static func expectationText(_ expected: ConnectionExpectation) -> String {
        switch expected {
        case .answered(let pods): pods.joined(separator: ", ")
        case .rejected: "refused (no endpoints)"
        case .unreachable: "no route"
        case .dropped: "dropped (no local endpoint)"
        case .filtered(let allowed, _):
            allowed.isEmpty ? "dropped (NetworkPolicy)" : "\(allowed.joined(separator: ", ")); the rest dropped (NetworkPolicy)"
        }
    }

    /// The endpoints expected, and "one endpoint per client" under session affinity.
    static func expectationText(_ expected: ConnectionExpectation, target: ServiceTarget) -> String {
        let text = expectationText(expected)
        guard target.oneEndpointPerSource, case .answered(let pods) = expected, pods.count > 1 else { return text }
        return text + "; one endpoint per client"
    }

    static func sourceExpectationText(_ row: ServiceReport.Row) -> String {
        guard case .answered = row.expected, let expectation = row.sourceSeen else { return "-" }
        switch expectation {
        case .node(let node): return "\(node)'s (masqueraded)"
        case .sender: return "\(row.source)'s own (kept)"
        case .senderUnlessHairpin(let node): return "\(row.source)'s own (kept; \(node)'s if it answers itself)"
        }
    }

    /// `192.168.64.4 (node-0)`, with counts when more than one address was seen.
    static func seenText(_ seen: [ServiceReport.SeenSource]) -> String {
        guard !seen.isEmpty else { return "-" }
        return seen.map { source in
            let owner = source.owner.map { " (\($0))" } ?? ""
            return source.address + owner + (seen.count > 1 ? " \(source.count)" : "")
        }.joined(separator: ", ")
    }

    static func routeText(_ route: ServiceTarget.Route) -> String {
        switch route {
        case .nodePort(let node): "NodePort on \(node)"
        case .externalIP(let node): "external IP at \(node)"
        case .clusterIP: "ClusterIP"
        case .endpoint(let pod): "endpoint \(pod)"
        }
    }

    func externalHeading(_ external: ServiceReport) -> String {
        "traffic from outside: \(external.connectionsPerPod) connections from each client and pod to every NodePort on every node and to every external IP; the endpoints answer with their pod's name and the source address they saw"
    }

    func externalRows(_ external: ServiceReport) -> String {
        if external.rows.isEmpty { return "traffic from outside: none to probe" }
        var rows = [["SERVICE", "AT", "DESTINATION", "FROM", "POLICY", "EXPECTED", "SOURCE EXPECTED", "ANSWERED BY", "SOURCE SEEN",
                     "REFUSED", "UNREACHABLE", "TIMEOUTS", "RESULT"]]
        for row in external.rows {
            rows.append([row.target.label, Self.routeText(row.target.route), row.target.destination, row.source,
                         row.target.policy.rawValue, Self.expectationText(row.expected, target: row.target),
                         Self.sourceExpectationText(row), Self.answersText(row.tally, expected: row.expected),
                         Self.seenText(row.seen), String(row.tally.refused), String(row.tally.unreachable + row.tally.failed),
                         String(row.tally.timeouts), row.ok ? "ok" : "FAIL"])
        }
        for total in external.totals {
            for problem in total.problems {
                rows.append([total.target.label, Self.routeText(total.target.route), total.target.destination, "all",
                             "", "", "", "", "", "", "", "", "FAIL: \(problem)"])
            }
        }
        return externalHeading(external) + "\n\n" + Columns(rows, rightAligned: [9, 10, 11]).text
    }

    /// Many sources: one line per target, summed over them.
    func externalTotals(_ external: ServiceReport) -> String {
        var rows = [["SERVICE", "AT", "DESTINATION", "POLICY", "ANSWERED BY", "REFUSED", "UNREACHABLE", "TIMEOUTS", "RESULT"]]
        for total in external.totals {
            let expected: ConnectionExpectation = total.target.endpoints.isEmpty ? .rejected : .answered(by: total.target.endpoints)
            let result = total.ok ? "ok" : "FAIL" + (total.failingSources.isEmpty ? "" : " (\(total.failingSources.count) source\(total.failingSources.count == 1 ? "" : "s"))")
            rows.append([total.target.label, Self.routeText(total.target.route), total.target.destination, total.target.policy.rawValue,
                         total.tally.answered > 0 ? Self.summary(of: total.tally, expected: expected) : "-", String(total.tally.refused),
                         String(total.tally.unreachable + total.tally.failed), String(total.tally.timeouts), result])
        }
        return externalHeading(external) + " (summed over all sources)\n\n" + Columns(rows, rightAligned: [5, 6, 7]).text
    }

    static func answersText(_ tally: ConnectionTally, expected: ConnectionExpectation) -> String {
        let order: [String] = if case .answered(let pods) = expected { pods } else { [] }
        let shares = tally.shares(order: order)
        guard tally.answered > 0 || !order.isEmpty else { return "-" }
        return shares.map { "\($0.pod) \($0.percent)%" }.joined(separator: ", ")
    }

    func serviceRows(_ services: ServiceReport) -> String {
        var rows = [["SERVICE", "DESTINATION", "FROM", "EXPECTED", "ANSWERED BY", "REFUSED", "UNREACHABLE", "TIMEOUTS", "RESULT"]]
        for row in services.rows {
            rows.append([Self.targetLabel(row.target), row.target.destination, row.source, Self.expectationText(row.expected, target: row.target),
                         Self.answersText(row.tally, expected: row.expected), String(row.tally.refused),
                         String(row.tally.unreachable + row.tally.failed), String(row.tally.timeouts), row.ok ? "ok" : "FAIL"])
        }
        for total in services.totals {
            for problem in total.problems { rows.append([Self.targetLabel(total.target), total.target.destination, "all", "", "", "", "", "", "FAIL: \(problem)"]) }
        }
        if services.rows.isEmpty { return "services: none to probe" }
        return serviceHeading(services) + "\n\n" + Columns(rows, rightAligned: [5, 6, 7]).text
    }

    func serviceTotals(_ services: ServiceReport, pods: Int) -> String {
        var rows = [["SERVICE", "DESTINATION", "FROM", "ENDPOINTS", "ANSWERED BY", "REFUSED", "UNREACHABLE", "TIMEOUTS", "RESULT"]]
        for total in services.totals {
            let expected: ConnectionExpectation = total.target.endpoints.isEmpty ? .rejected : .answered(by: {
                if case .endpoint(let pod) = total.target.route { return [pod] }
                return total.target.endpoints
            }())
            let result = total.ok ? "ok" : "FAIL" + (total.failingSources.isEmpty ? "" : " (\(total.failingSources.count) pods)")
            rows.append([Self.targetLabel(total.target), total.target.destination, "\(pods) pods", Self.summary(of: expected),
                         Self.summary(of: total.tally, expected: expected), String(total.tally.refused),
                         String(total.tally.unreachable + total.tally.failed), String(total.tally.timeouts), result])
        }
        return serviceHeading(services) + " (summed over all pods)\n\n" + Columns(rows, rightAligned: [5, 6, 7]).text
    }

    /// Endpoints named when few, counted when many.
    static func summary(of expected: ConnectionExpectation) -> String {
        if case .answered(let pods) = expected, pods.count > 4 { return "\(pods.count) pods" }
        return expectationText(expected)
    }

    /// Shares listed when few endpoints; when many, how many answered and the
    /// smallest and largest share ("20 of 20, 4–6% each"), then any stranger.
    static func summary(of tally: ConnectionTally, expected: ConnectionExpectation) -> String {
        guard case .answered(let pods) = expected, pods.count > 4 else { return answersText(tally, expected: expected) }
        let shares = tally.shares(order: pods)
        let endpoints = shares.filter { pods.contains($0.pod) }
        let answering = endpoints.filter { $0.count > 0 }.count
        let low = endpoints.map(\.percent).min() ?? 0, high = endpoints.map(\.percent).max() ?? 0
        var text = "\(answering) of \(pods.count), " + (low == high ? "\(low)%" : "\(low)–\(high)%") + " each"
        let strangers = shares.filter { !pods.contains($0.pod) }
        if !strangers.isEmpty { text += "; " + strangers.map { "\($0.pod) \($0.percent)%" }.joined(separator: ", ") }
        return text
    }

    func verdict(_ report: ConnectivityReport) -> String {
        var counted: [String] = []
        var failed: [String] = []
        if let matrix = report.matrix {
            counted.append("\(matrix.pairs) pod pairs")
            let bad = matrix.pairs - matrix.asExpected
            if bad > 0 { failed.append("\(bad) of \(matrix.pairs) pod pairs") }
        }
        if let matrix = report.matrixV6 {
            counted.append("\(matrix.pairs) IPv6 pod pairs")
            let bad = matrix.pairs - matrix.asExpected
            if bad > 0 { failed.append("\(bad) of \(matrix.pairs) IPv6 pod pairs") }
        }
        for policy in [report.policy, report.policyV6].compactMap({ $0 }) {
            let what = policy.family == .ipv4 ? "policy probes" : "IPv6 policy probes"
            counted.append("\(policy.probes) \(what)")
            let bad = policy.probes - policy.asExpected
            if bad > 0 { failed.append("\(bad) of \(policy.probes) \(what)") }
        }
        if let services = report.services {
            counted.append("\(services.rows.count) service checks")
            let bad = services.rows.filter { !$0.ok }.count
            let wide = services.totals.reduce(0) { $0 + $1.problems.count }
            if bad > 0 { failed.append("\(bad) of \(services.rows.count) service checks") }
            if wide > 0 { failed.append("\(wide) endpoint\(wide == 1 ? "" : "s") never answering") }
        }
        if let external = report.external {
            counted.append("\(external.rows.count) checks from outside")
            let bad = external.rows.filter { !$0.ok }.count
            let wide = external.totals.reduce(0) { $0 + $1.problems.count }
            if bad > 0 { failed.append("\(bad) of \(external.rows.count) checks from outside") }
            if wide > 0 { failed.append("\(wide) endpoint\(wide == 1 ? "" : "s") never answering from outside") }
        }
        if report.ok {
            let list = counted.count > 1 ? counted.dropLast().joined(separator: ", ") + " and " + counted.last! : counted.joined()
            return "ok: cluster \(report.cluster): all \(list) as expected"
        }
        var lines = ["FAILED: cluster \(report.cluster): " + failed.joined(separator: ", ")]
        lines += report.failures.prefix(maxListedFailures).map { "  " + $0 }
        if report.failures.count > maxListedFailures {
            lines.append("  … and \(report.failures.count - maxListedFailures) more (--output json lists them all)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Rows aligned in columns (the last column unpadded), like `ip -br` and `kubectl get`.
struct Columns {
    let rows: [[String]]
    var rightAligned: Set<Int> = []
    var separator = "  "
    var indent = ""

    init(_ rows: [[String]], rightAligned: Set<Int> = [], separator: String = "  ", indent: String = "") {
        self.rows = rows
        self.rightAligned = rightAligned
        self.separator = separator
        self.indent = indent
    }

    var text: String {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let cells = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                if rightAligned.contains(column) { return pad + cell }
                return column == row.count - 1 ? cell : cell + pad
            }
            return indent + cells.joined(separator: separator)
        }.joined(separator: "\n")
    }
}
