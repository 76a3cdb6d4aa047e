/// The report for machines (`podnet check --output json`). The field names are an
/// interface: add fields, never rename or re-mean one.
///
///     { "cluster", "ok", "failures": [String],
///       "podToPod": { "method": "icmp-echo", "timeoutSeconds", "pairs", "asExpected",
///                     "results": [{ "from", "to", "address", "expected": "reach"|"unreachable",
///                                   "observed": "reply"|"timeout"|"unreachable"|"notProbed",
///                                   "detail"?, "ok" }] },
///       "podToPodIPv6": { as podToPod, with "method": "icmpv6-echo", "family": "IPv6", and each
///                         result's "address" the pod's IPv6 one } (dual-stack clusters only),
///       "services": { "connectionsPerPod",
///                     "results": [{ "service", "port", "protocol", "targetPort", "route": "clusterIP"|"endpoint",
///                                   "endpoint"?, "address", "destinationPort", "from",
///                                   "expected": "answer"|"reject"|"unreachable", "expectedAnswerers",
///                                   "connections", "answers": {pod: count}, "refused", "unreachable",
///                                   "timeouts", "failed", "reasons", "ok", "problem"? }],
///                     "targets": [{ "service", "port", "protocol", "route", "endpoint"?, "address",
///                                   "destinationPort", "connections", "answers", "ok", "problems" }] },
///       "external": { "connectionsPerSource",
///                     "results": [{ as services' results, with "route": "nodePort"|"externalIP", "node"
///                                   (where the traffic arrives), "sourceKind": "pod"|"client", "policy",
///                                   "oneEndpointPerSource", "expected" also "drop",
///                                   "expectedSource"?: "node"|"sender"|"senderUnlessHairpin",
///                                   "expectedSourceAddresses", "sources": {address: count} }],
///                     "targets": [as services' targets, with "node", "policy"] },
///       "networkPolicy": { "ports": ["80/TCP", …], "probes", "asExpected",
///                          "results": [{ "from", "to", "address", "port", "protocol",
///                                        "expected": "allow"|"deny",
///                                        "observed": "answer"|"timeout"|"refused"|"unreachable"|"failed",
///                                        "detail"?, "ok" }] },
///       "networkPolicyIPv6": { as networkPolicy, with "family": "IPv6", each result's "address"
///                              the pod's IPv6 one, and no result for a pod without one }
///                              (dual-stack clusters with policies only) }
///
/// Every result also carries "sources": the source addresses the listeners saw.
/// `podToPod`, `services` or `external` is absent when it was not probed
/// (--services-only, --pods-only, --via endpoints, no NodePort or external IP).
extension ConnectivityReport: Encodable {
    enum Keys: String, CodingKey {
        case cluster, ok, failures, podToPod, podToPodIPv6, family, services
        case method, timeoutSeconds, pairs, asExpected, results
        case from, to, address, expected, observed, detail
        case connectionsPerPod, targets
        case service, port, `protocol`, targetPort, route, endpoint, destinationPort, expectedAnswerers
        case connections, answers, refused, unreachable, timeouts, failed, reasons, problem, problems
        case external, connectionsPerSource, node, sourceKind, policy, oneEndpointPerSource
        case expectedSource, expectedSourceAddresses, sources
        case networkPolicy, networkPolicyIPv6, ports, probes
    }

    /// A pod-to-pod section: `podToPod` for IPv4, `podToPodIPv6` (which also says its family) for IPv6.
    private func encode(_ matrix: PodMatrix, in container: inout KeyedEncodingContainer<Keys>) throws {
        var section = container.nestedContainer(keyedBy: Keys.self, forKey: matrix.family == .ipv4 ? .podToPod : .podToPodIPv6)
        try section.encode(matrix.family == .ipv4 ? "icmp-echo" : "icmpv6-echo", forKey: .method)
        if matrix.family == .ipv6 { try section.encode(matrix.family.name, forKey: .family) }
        try section.encode(matrix.timeout, forKey: .timeoutSeconds)
        try section.encode(matrix.pairs, forKey: .pairs)
        try section.encode(matrix.asExpected, forKey: .asExpected)
        var results = section.nestedUnkeyedContainer(forKey: .results)
        for (source, row) in matrix.cells.enumerated() {
            for (destination, cell) in row.enumerated() {
                var result = results.nestedContainer(keyedBy: Keys.self)
                try result.encode(pods[source].name, forKey: .from)
                try result.encode(pods[destination].name, forKey: .to)
                try result.encode(pods[destination].ip(matrix.family)?.description ?? "", forKey: .address)
                try result.encode(cell.expected ? "reach" : "unreachable", forKey: .expected)
                switch cell.observed {
                case .replied: try result.encode("reply", forKey: .observed)
                case .timedOut: try result.encode("timeout", forKey: .observed)
                case .unreachable(let detail):
                    try result.encode("unreachable", forKey: .observed)
                    try result.encode(detail, forKey: .detail)
                case .notProbed(let detail):
                    try result.encode("notProbed", forKey: .observed)
                    try result.encode(detail, forKey: .detail)
                }
                try result.encode(cell.ok, forKey: .ok)
            }
        }
    }

    /// A policy section: `networkPolicy` for IPv4, `networkPolicyIPv6` (which also says its family) for IPv6.
    private func encode(_ policy: PolicyMatrix, in container: inout KeyedEncodingContainer<Keys>) throws {
        var section = container.nestedContainer(keyedBy: Keys.self, forKey: policy.family == .ipv4 ? .networkPolicy : .networkPolicyIPv6)
        if policy.family == .ipv6 { try section.encode(policy.family.name, forKey: .family) }
        try section.encode(policy.ports.map(\.description), forKey: .ports)
        try section.encode(policy.probes, forKey: .probes)
        try section.encode(policy.asExpected, forKey: .asExpected)
        var results = section.nestedUnkeyedContainer(forKey: .results)
        for (source, row) in policy.cells.enumerated() {
            for (destination, cell) in row.enumerated() {
                for probe in cell where probe.probed {
                    var result = results.nestedContainer(keyedBy: Keys.self)
                    try result.encode(pods[source].name, forKey: .from)
                    try result.encode(pods[destination].name, forKey: .to)
                    try result.encode(pods[destination].ip(policy.family)?.description ?? "", forKey: .address)
                    try result.encode(probe.port.port, forKey: .port)
                    try result.encode(probe.port.protocol.rawValue, forKey: .protocol)
                    try result.encode(probe.expected ? "allow" : "deny", forKey: .expected)
                    switch probe.observed {
                    case .answered: try result.encode("answer", forKey: .observed)
                    case .timedOut: try result.encode("timeout", forKey: .observed)
                    case .refused: try result.encode("refused", forKey: .observed)
                    case .unreachable(let detail):
                        try result.encode("unreachable", forKey: .observed)
                        try result.encode(detail, forKey: .detail)
                    case .failed(let detail):
                        try result.encode("failed", forKey: .observed)
                        try result.encode(detail, forKey: .detail)
                    }
                    try result.encode(probe.ok, forKey: .ok)
                }
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(ok, forKey: .ok)
        try container.encode(failures, forKey: .failures)
        if let matrix { try encode(matrix, in: &container) }
        // After IPv4's section, so that an IPv4-only cluster's report is byte for byte what it was.
        if let matrixV6 { try encode(matrixV6, in: &container) }
        if let policy { try encode(policy, in: &container) }
        if let policyV6 { try encode(policyV6, in: &container) }
        if let services {
            var section = container.nestedContainer(keyedBy: Keys.self, forKey: .services)
            try section.encode(services.connectionsPerPod, forKey: .connectionsPerPod)
            try Self.encode(services, into: &section, external: false)
        }
        if let external {
            var section = container.nestedContainer(keyedBy: Keys.self, forKey: .external)
            try section.encode(external.connectionsPerPod, forKey: .connectionsPerSource)
            try Self.encode(external, into: &section, external: true)
        }
    }

    private static func encode(_ report: ServiceReport, into section: inout KeyedEncodingContainer<Keys>, external: Bool) throws {
        var results = section.nestedUnkeyedContainer(forKey: .results)
        for row in report.rows {
            var result = results.nestedContainer(keyedBy: Keys.self)
            try encode(row.target, into: &result)
            try result.encode(row.source, forKey: .from)
            switch row.expected {
            case .answered(let pods):
                try result.encode("answer", forKey: .expected)
                try result.encode(pods, forKey: .expectedAnswerers)
            case .rejected:
                try result.encode("reject", forKey: .expected)
                try result.encode([String](), forKey: .expectedAnswerers)
            case .unreachable:
                try result.encode("unreachable", forKey: .expected)
                try result.encode([String](), forKey: .expectedAnswerers)
            case .dropped:
                try result.encode("drop", forKey: .expected)
                try result.encode([String](), forKey: .expectedAnswerers)
            case .filtered(let allowed, _):
                try result.encode("answerAllowedDropOthers", forKey: .expected)
                try result.encode(allowed, forKey: .expectedAnswerers)
            }
            try encode(row.tally, into: &result)
            if external {
                try result.encode(row.target.oneEndpointPerSource, forKey: .oneEndpointPerSource)
                try result.encode(row.sourceKind.rawValue, forKey: .sourceKind)
                if case .answered = row.expected, let expectation = row.sourceSeen {
                    let kind = switch expectation {
                    case .node: "node"
                    case .sender: "sender"
                    case .senderUnlessHairpin: "senderUnlessHairpin"
                    }
                    try result.encode(kind, forKey: .expectedSource)
                    try result.encode(row.allowedSources.map(\.description), forKey: .expectedSourceAddresses)
                }
            }
            try result.encode(row.ok, forKey: .ok)
            try result.encodeIfPresent(row.problem, forKey: .problem)
        }
        var targets = section.nestedUnkeyedContainer(forKey: .targets)
        for total in report.totals {
            var result = targets.nestedContainer(keyedBy: Keys.self)
            try encode(total.target, into: &result)
            try encode(total.tally, into: &result)
            try result.encode(total.ok, forKey: .ok)
            try result.encode(total.problems, forKey: .problems)
        }
    }

    private static func encode(_ target: ServiceTarget, into container: inout KeyedEncodingContainer<Keys>) throws {
        try container.encode(target.service, forKey: .service)
        try container.encode(target.port.port, forKey: .port)
        try container.encode(target.port.protocol.rawValue, forKey: .protocol)
        try container.encode(target.port.targetPort, forKey: .targetPort)
        switch target.route {
        case .clusterIP:
            try container.encode("clusterIP", forKey: .route)
        case .endpoint(let pod):
            try container.encode("endpoint", forKey: .route)
            try container.encode(pod, forKey: .endpoint)
        case .nodePort(let node):
            try container.encode("nodePort", forKey: .route)
            try container.encode(node, forKey: .node)
        case .externalIP(let node):
            try container.encode("externalIP", forKey: .route)
            try container.encode(node, forKey: .node)
        }
        if target.route.isExternal { try container.encode(target.policy.rawValue, forKey: .policy) }
        try container.encode(target.address.description, forKey: .address)
        try container.encode(target.destinationPort, forKey: .destinationPort)
    }

    private static func encode(_ tally: ConnectionTally, into container: inout KeyedEncodingContainer<Keys>) throws {
        try container.encode(tally.total, forKey: .connections)
        try container.encode(tally.answers, forKey: .answers)
        try container.encode(tally.refused, forKey: .refused)
        try container.encode(tally.unreachable, forKey: .unreachable)
        try container.encode(tally.timeouts, forKey: .timeouts)
        try container.encode(tally.failed, forKey: .failed)
        try container.encode(tally.reasons, forKey: .reasons)
        try container.encode(tally.sources, forKey: .sources)
    }
}
