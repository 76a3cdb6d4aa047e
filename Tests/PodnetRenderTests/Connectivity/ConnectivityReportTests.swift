import Foundation
@testable import PodnetRender
import PodnetTopology
import Testing

@Suite struct ConnectivityReportTests {
    static let twoNodes = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: b0, node: node-1, labels: { app: web } }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
      - { name: empty, endpoints: [], ports: [{ port: 82 }] }
    """

    static func expectations(_ text: String = twoNodes) throws -> ConnectivityExpectations {
        try ConnectivityExpectationsTests.expectations(text)
    }

    /// What each pod saw of each target: `pattern[target][pod]`.
    static func services(_ expectations: ConnectivityExpectations, _ pattern: [[[ConnectionObservation]]]) -> [ServiceObservation] {
        zip(expectations.serviceTargets(via: .clusterIP), pattern).map { ServiceObservation(target: $0, connections: $1) }
    }

    static func answers(_ a0: Int, _ b0: Int) -> [ConnectionObservation] {
        Array(repeating: .answered("a0"), count: a0) + Array(repeating: .answered("b0"), count: b0)
    }

    static let allRefused = Array(repeating: ConnectionObservation.refused, count: 20)

    // MARK: Shares

    @Test(arguments: [
        ([11, 9], [55, 45]),
        ([1, 1, 1], [34, 33, 33]),
        ([2, 1], [67, 33]),
        ([20, 0], [100, 0]),
        ([0, 0], [0, 0]),
        ([1, 1, 1, 1, 1, 1, 1], [15, 15, 14, 14, 14, 14, 14]),
    ])
    func percentagesAreWholeAndSumTo100(counts: [Int], expected: [Int]) {
        #expect(ConnectionTally.percentages(counts) == expected)
    }

    @Test func percentagesAlwaysSumTo100() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let counts = (0..<Int.random(in: 1...12, using: &generator)).map { _ in Int.random(in: 0...50, using: &generator) }
            let percentages = ConnectionTally.percentages(counts)
            #expect(percentages.reduce(0, +) == (counts.reduce(0, +) == 0 ? 0 : 100), "\(counts)")
            #expect(zip(counts, percentages).allSatisfy { $0 == 0 ? $1 == 0 : true }, "\(counts)")
        }
    }

    @Test func sharesListExpectedEndpointsFirstEvenWithoutAnswers() {
        let tally = ConnectionTally([.answered("x"), .answered("a0"), .answered("a0"), .refused])
        #expect(tally.shares(order: ["a0", "b0"]) == [
            .init(pod: "a0", count: 2, percent: 67), .init(pod: "b0", count: 0, percent: 0), .init(pod: "x", count: 1, percent: 33),
        ])
        #expect(tally.total == 4)
        #expect(tally.answered == 3)
    }

    // MARK: Verdicts

    @Test func aFullMatrixAndBalancedServicesAreOK() throws {
        let expectations = try Self.expectations()
        let observations = ConnectivityObservations(
            echo: [[.replied, .replied], [.replied, .replied]],
            services: Self.services(expectations, [[Self.answers(11, 9), Self.answers(10, 10)], [Self.allRefused, Self.allRefused]]),
            connectionsPerPod: 20)
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: observations)
        #expect(report.ok, "\(report.failures)")
        #expect(report.matrix?.pairs == 4)
        #expect(report.services?.rows.count == 4)
    }

    @Test func matrixFailuresNameThePairAndHowItFailed() throws {
        let expectations = try Self.expectations()
        let observations = ConnectivityObservations(
            echo: [[.replied, .timedOut], [.unreachable("ICMP net unreachable from 10.200.1.1"), .replied]], echoTimeout: 1)
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: observations)
        #expect(!report.ok)
        #expect(report.matrix?.asExpected == 2)
        #expect(report.failures == [
            "a0 → b0 (10.200.1.2): no answer within 1 s",
            "b0 → a0 (10.200.0.2): unreachable: ICMP net unreachable from 10.200.1.1",
        ])
        #expect(report.services == nil)
    }

    @Test func anAnswerWhereNoneIsExpectedFails() throws {
        let expectations = try ConnectivityExpectationsTests.expectations()
        let pods = expectations.pods.count
        var echo = (0..<pods).map { source in (0..<pods).map { expectations.expectsReach(from: source, to: $0) ? EchoObservation.replied : .timedOut } }
        echo[0][3] = .replied  // a0 reaches l0, which only its link peer may
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(echo: echo))
        #expect(report.failures == ["a0 → l0 (10.200.2.2): answered, but must not: l0 is on bridge-less node node-2: only its link peer reaches it"])
    }

    @Test func serviceRowsFailOnMissesAndStrangers() throws {
        let expectations = try Self.expectations()
        let a0: [ConnectionObservation] = Self.answers(5, 5) + [.refused, .timedOut(connected: true), .timedOut(connected: false),
                                                                 .unreachable("No route to host"), .answered("intruder")]
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(
            services: Self.services(expectations, [[a0, Self.answers(10, 10)]]), connectionsPerPod: 15))
        #expect(report.failures == [
            "web:80 at 10.96.0.1:80 from a0: 1 answered by intruder, not an endpoint, 1 refused, 1 unreachable (No route to host), 2 timed out, 1 of them accepted but never answered (of 15)",
        ])
        #expect(report.services?.totals.first?.failingSources == ["a0"])
    }

    @Test func aServiceWithoutEndpointsMustBeRejectedAtOnce() throws {
        let expectations = try Self.expectations()
        let waited = Array(repeating: ConnectionObservation.timedOut(connected: false), count: 20)
        let unrouted = Array(repeating: ConnectionObservation.unreachable("Network is unreachable"), count: 20)
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(
            services: Self.services(expectations, [[Self.answers(10, 10), Self.answers(10, 10)], [waited, unrouted]]), connectionsPerPod: 20))
        #expect(report.services?.rows.map { $0.expected } == [.answered(by: ["a0", "b0"]), .answered(by: ["a0", "b0"]), .rejected, .rejected])
        #expect(report.failures == [
            "empty:82 at 10.96.0.2:82 from a0: 20 timed out (of 20); with no endpoints, every connection must be refused at once",
            "empty:82 at 10.96.0.2:82 from b0: 20 unreachable (Network is unreachable) (of 20); with no endpoints, every connection must be refused at once",
        ])
    }

    @Test func rejectionsMayTimeOutPastTheICMPRateLimitButNotAllOfThem() throws {
        let expectations = try Self.expectations()
        let limited = Array(repeating: ConnectionObservation.refused, count: 6) + Array(repeating: .timedOut(connected: false), count: 14)
        let silent = Array(repeating: ConnectionObservation.timedOut(connected: false), count: 20)
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(
            services: Self.services(expectations, [[Self.answers(10, 10), Self.answers(10, 10)], [limited, silent]]), connectionsPerPod: 20))
        #expect(report.failures == [
            "empty:82 at 10.96.0.2:82 from b0: 20 timed out (of 20); with no endpoints, every connection must be refused at once",
        ])
    }

    @Test func anEndpointThatNeverAnswersFailsOnlyWhenThatIsImplausible() throws {
        let expectations = try Self.expectations()
        // 2 endpoints, 40 answers all from a0: (1/2)^40 ≈ 1e-12, so b0 is broken.
        let skewed = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(
            services: Self.services(expectations, [[Self.answers(20, 0), Self.answers(20, 0)]]), connectionsPerPod: 20))
        #expect(skewed.failures == ["web:80 at 10.96.0.1:80: endpoint b0 answered none of 40 answered connections (1 in 2 expected): is it missing from the load balancer?"])
        // 10 answers: (1/2)^10 ≈ 1e-3 happens; not a failure.
        let unlucky = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(
            services: Self.services(expectations, [[Self.answers(5, 0), Self.answers(5, 0)]]), connectionsPerPod: 5))
        #expect(unlucky.ok)
    }

    // MARK: Text

    @Test func textShowsTheMatrixTheServicesAndTheVerdict() throws {
        let expectations = try Self.expectations()
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(
            echo: [[.replied, .replied], [.timedOut, .replied]],
            services: Self.services(expectations, [[Self.answers(11, 9), Self.answers(10, 10)], [Self.allRefused, Self.allRefused]]),
            connectionsPerPod: 20))
        let text = ConnectivityReportText().render(report)
        #expect(text == """
            pod → pod: ICMP echo from inside each pod to every pod's IP (row sends, column answers)

                   1 2
              1 a0 ✓ ✓
              2 b0 ✗ ✓

              \(ConnectivityReportText.legend)

            services: 20 connections from each pod to each service's ClusterIP and port; the endpoints answer with their pod's name

            SERVICE   DESTINATION   FROM  EXPECTED                ANSWERED BY     REFUSED  UNREACHABLE  TIMEOUTS  RESULT
            web:80    10.96.0.1:80  a0    a0, b0                  a0 55%, b0 45%        0            0         0  ok
            web:80    10.96.0.1:80  b0    a0, b0                  a0 50%, b0 50%        0            0         0  ok
            empty:82  10.96.0.2:82  a0    refused (no endpoints)  -                    20            0         0  ok
            empty:82  10.96.0.2:82  b0    refused (no endpoints)  -                    20            0         0  ok

            FAILED: cluster lab: 1 of 4 pod pairs
              b0 → a0 (10.200.0.2): no answer within 1 s
            """)
    }

    @Test func manyPodsAreSummedPerNodeAndFailuresAreCapped() throws {
        var text = "name: big\nclusterCIDR: 10.200.0.0/16\nnetwork: { backend: host-gw }\nnodes:\n  - { name: n0 }\n  - { name: n1 }\npods:\n"
        for index in 0..<50 { text += "  - { name: p\(index), node: n\(index % 2) }\n" }
        let expectations = try Self.expectations(text)
        var echo = Array(repeating: Array(repeating: EchoObservation.replied, count: 50), count: 50)
        for destination in stride(from: 1, to: 50, by: 2) { echo[0][destination] = .timedOut }  // p0 (n0) reaches no pod of n1
        let report = ConnectivityReport(cluster: "big", expectations: expectations, observations: .init(echo: echo))
        let rendered = ConnectivityReportText(maxListedFailures: 3).render(report)
        #expect(rendered.contains("""
                   1        2
              1  n0  ✓  600/625
              2  n1  ✓        ✓
            """))
        #expect(rendered.hasSuffix("""
            FAILED: cluster big: 25 of 2500 pod pairs
              p0 → p1 (10.200.1.2): no answer within 1 s
              p0 → p3 (10.200.1.3): no answer within 1 s
              p0 → p5 (10.200.1.4): no answer within 1 s
              … and 22 more (--output json lists them all)
            """))
    }

    @Test func manyEndpointsAreSummarisedInTheSummedTable() {
        let pods = (0..<20).map { "e\($0)" }
        var tally = ConnectionTally()
        for (index, pod) in pods.enumerated() where index > 0 {
            for _ in 0..<(index % 2 == 0 ? 4 : 6) { tally.add(.answered(pod)) }
        }
        tally.add(.answered("stranger"))
        #expect(ConnectivityReportText.summary(of: .answered(by: pods)) == "20 pods")
        #expect(ConnectivityReportText.summary(of: tally, expected: .answered(by: pods)) == "19 of 20, 0–7% each; stranger 1%")
        #expect(ConnectivityReportText.summary(of: ConnectionTally([.answered("a"), .answered("b")]), expected: .answered(by: ["a", "b"]))
                == "a 50%, b 50%")
    }

    @Test func textSaysOKWhenAllHolds() throws {
        let report = ConnectivityReport(cluster: "lab", expectations: try Self.expectations(),
                                        observations: .init(echo: [[.replied, .replied], [.replied, .replied]]))
        #expect(ConnectivityReportText().render(report).hasSuffix("ok: cluster lab: all 4 pod pairs as expected"))
    }

    // MARK: JSON

    @Test func jsonHasStableFields() throws {
        let expectations = try Self.expectations()
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(
            echo: [[.replied, .unreachable("no route")], [.replied, .replied]],
            services: Self.services(expectations, [[Self.answers(11, 9), Self.answers(10, 10)], [Self.allRefused, Self.allRefused]]),
            connectionsPerPod: 20))
        let data = try JSONEncoder().encode(report)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["cluster"] as? String == "lab")
        #expect(json["ok"] as? Bool == false)
        #expect(json["failures"] as? [String] == ["a0 → b0 (10.200.1.2): unreachable: no route"])
        let pods = try #require(json["podToPod"] as? [String: Any])
        #expect(pods["pairs"] as? Int == 4)
        #expect(pods["asExpected"] as? Int == 3)
        let results = try #require(pods["results"] as? [[String: Any]])
        #expect(results[1]["from"] as? String == "a0")
        #expect(results[1]["to"] as? String == "b0")
        #expect(results[1]["address"] as? String == "10.200.1.2")
        #expect(results[1]["expected"] as? String == "reach")
        #expect(results[1]["observed"] as? String == "unreachable")
        #expect(results[1]["detail"] as? String == "no route")
        #expect(results[1]["ok"] as? Bool == false)
        let services = try #require(json["services"] as? [String: Any])
        #expect(services["connectionsPerPod"] as? Int == 20)
        let rows = try #require(services["results"] as? [[String: Any]])
        #expect(rows.count == 4)
        #expect(rows[0]["service"] as? String == "web")
        #expect(rows[0]["port"] as? Int == 80)
        #expect(rows[0]["targetPort"] as? Int == 8080)
        #expect(rows[0]["protocol"] as? String == "TCP")
        #expect(rows[0]["route"] as? String == "clusterIP")
        #expect(rows[0]["address"] as? String == "10.96.0.1")
        #expect(rows[0]["from"] as? String == "a0")
        #expect(rows[0]["expected"] as? String == "answer")
        #expect(rows[0]["expectedAnswerers"] as? [String] == ["a0", "b0"])
        #expect(rows[0]["answers"] as? [String: Int] == ["a0": 11, "b0": 9])
        #expect(rows[0]["connections"] as? Int == 20)
        #expect(rows[2]["expected"] as? String == "reject")
        #expect(rows[2]["refused"] as? Int == 20)
        let targets = try #require(services["targets"] as? [[String: Any]])
        #expect(targets.map { $0["connections"] as? Int } == [40, 40])
    }
}
