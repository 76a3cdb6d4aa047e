import PodnetAddress
@testable import PodnetRender
import PodnetTopology
import Testing

/// What `podnet check` expects where the cluster has NetworkPolicies, and how it
/// judges and reports what it measured.
@Suite struct PolicyExpectationsTests {
    static let cluster = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    nodes:
      - { name: node-0, podCIDR: 10.200.0.0/24 }
      - { name: node-1, podCIDR: 10.200.1.0/24 }
    namespaces:
      - { name: prod }
    pods:
      - { name: db, node: node-0, namespace: prod, ip: 10.200.0.2, labels: { app: db }, ports: [{ name: sql, port: 5432 }] }
      - { name: web, node: node-1, namespace: prod, ip: 10.200.1.2, labels: { app: web } }
      - { name: tool, node: node-1, namespace: prod, ip: 10.200.1.3 }
    services:
      - { name: db, namespace: prod, selector: { app: db }, ports: [{ port: 5432 }] }
    networkPolicies:
      - name: db-clients
        namespace: prod
        podSelector: { matchLabels: { app: db } }
        ingress:
          - from: [{ podSelector: { matchLabels: { app: web } } }]
            ports: [{ port: sql }, { protocol: UDP, port: 9000, endPort: 9010 }]
    """

    static func expectations(_ text: String = cluster) throws -> ConnectivityExpectations {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        return ConnectivityExpectations(topology: try #require(result.topology, "\(result.diagnostics.map(\.message))"))
    }

    @Test func probedPortsAreEightyAndEightyOneAndEveryPortThePoliciesName() throws {
        let ports = try Self.expectations().policyProbePorts.map(\.description)
        #expect(ports == ["80/TCP", "81/TCP", "5432/TCP", "80/UDP", "81/UDP", "9000/UDP", "9010/UDP"])
        let without = Self.cluster.prefix(upTo: Self.cluster.range(of: "networkPolicies:")!.lowerBound)
        #expect(try Self.expectations(String(without)).policyProbePorts.isEmpty)
    }

    @Test func connectionsFollowThePolicyModel() throws {
        let expectations = try Self.expectations()
        let (db, web, tool) = (0, 1, 2)
        #expect(expectations.expectsPolicyReach(from: web, to: db, on: PolicyProbePort(5432, .tcp)))
        #expect(!expectations.expectsPolicyReach(from: web, to: db, on: PolicyProbePort(80, .tcp)))
        #expect(expectations.expectsPolicyReach(from: web, to: db, on: PolicyProbePort(9010, .udp)))
        #expect(!expectations.expectsPolicyReach(from: tool, to: db, on: PolicyProbePort(5432, .tcp)))
        // db is isolated for ingress only: it reaches everyone, and itself.
        #expect(expectations.expectsPolicyReach(from: db, to: tool, on: PolicyProbePort(81, .udp)))
        #expect(expectations.expectsPolicyReach(from: db, to: db, on: PolicyProbePort(80, .tcp)))
    }

    @Test func anEchoPassesOnlyRulesWithoutPorts() throws {
        let expectations = try Self.expectations()
        #expect(!expectations.expectsEcho(from: 1, to: 0), "the rule lists ports: ICMP matches none")
        #expect(expectations.expectsEcho(from: 0, to: 1))
        #expect(expectations.isolationReason(from: 1, to: 0)?.contains("NetworkPolicy denies it") == true)
        let open = try Self.expectations(Self.cluster.replacingOccurrences(of: "ports: [{ port: sql }, { protocol: UDP, port: 9000, endPort: 9010 }]", with: "ports: []"))
        #expect(open.expectsEcho(from: 1, to: 0))
        #expect(!open.expectsEcho(from: 2, to: 0))
    }

    @Test func aServiceConnectionIsJudgedAtItsEndpoint() throws {
        let targets = try Self.expectations().serviceTargets(via: .clusterIP)
        let db = try #require(targets.first)
        #expect(db.expected == [.answered(by: ["db"]), .answered(by: ["db"]), .filtered(allowed: [], endpoints: ["db"])])
        let direct = try Self.expectations().serviceTargets(via: .endpoints)
        #expect(direct.first?.expected[2] == .filtered(allowed: [], endpoints: ["db"]))
    }

    /// Denied must be dropped (a timeout), allowed answered; anything else is a
    /// failure that names the pair, the port and the policies' reasons.
    @Test func theMatrixJudgesEachProbeAndSaysWhy() throws {
        let expectations = try Self.expectations()
        let ports = [PolicyProbePort(5432, .tcp), PolicyProbePort(80, .tcp)]
        var observed = Array(repeating: Array(repeating: [ConnectionObservation.answered("x"), .answered("x")], count: 3), count: 3)
        observed[1][0] = [.answered("db"), .timedOut(connected: false)]   // as the policies say
        observed[2][0] = [.answered("db"), .refused]                      // both wrong
        observed[0][1] = [.timedOut(connected: false), .answered("web")]  // allowed, not answered
        var observations = ConnectivityObservations()
        observations.policy = observed
        observations.policyPorts = ports
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: observations)
        let matrix = try #require(report.policy)
        #expect(matrix.probes == 18 && matrix.asExpected == 15)
        #expect(report.failures.count == 3)
        #expect(report.failures.contains { $0.hasPrefix("tool → db (10.200.0.2) 5432/TCP: answered, but NetworkPolicy denies it") && $0.contains("prod/db-clients") })
        #expect(report.failures.contains { $0.hasPrefix("tool → db (10.200.0.2) 80/TCP: refused, but a connection NetworkPolicy denies must be dropped") })
        #expect(report.failures.contains { $0.hasPrefix("db → web (10.200.1.2) 5432/TCP: timed out, but NetworkPolicy allows it") })
        let text = ConnectivityReportText().render(report)
        #expect(text.contains("on 5432/TCP, 80/TCP, one symbol per port in that order"))
        #expect(text.contains("db   ✓✓ ✗✓ ✓✓"), "\(text)")
        #expect(text.contains("web  ✓· ✓✓ ✓✓"))
        #expect(text.contains("tool !! ✓✓ ✓✓"))
        // Summed per node pair beyond the detailed size: node-1 → node-0 holds the two
        // wrong probes of tool → db (of web's and tool's four), node-0 → node-1 the one
        // of db → web.
        let summed = ConnectivityReportText(maxDetailedPods: 1).render(report)
        #expect(summed.contains("summed per node pair"))
        #expect(summed.contains("1  node-0    ✓  3/4"), "\(summed)")
        #expect(summed.contains("2  node-1  2/4    ✓"), "\(summed)")
    }
}
