import Foundation
import PodnetAddress
@testable import PodnetRender
import PodnetTopology
import Testing

/// A dual-stack cluster's check report: a pod matrix per family, each failing on
/// its own, IPv4's words and JSON unchanged beside the IPv6 additions.
@Suite struct DualStackReportTests {
    static let dualStack = """
    name: lab
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: b0, node: node-1, labels: { app: web } }
    """

    static let all: [[EchoObservation]] = [[.replied, .replied], [.replied, .replied]]

    @Test func anIPv6FailureIsInTheIPv6MatrixOnly() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(Self.dualStack)
        var observations = ConnectivityObservations(echo: Self.all, echoTimeout: 1)
        observations.echoV6 = [[.replied, .timedOut], [.replied, .replied]]
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: observations)
        #expect(report.matrix?.asExpected == 4)
        #expect(report.matrix?.family == .ipv4)
        #expect(report.matrixV6?.family == .ipv6)
        #expect(report.matrixV6?.asExpected == 3)
        #expect(report.failures == ["a0 → b0 (fd00:200:0:1::2): no answer within 1 s"])

        let text = ConnectivityReportText().render(report)
        #expect(text.contains("pod → pod: ICMP echo from inside each pod to every pod's IP (row sends, column answers)"))
        #expect(text.contains("pod → pod over IPv6: ICMPv6 echo from inside each pod to every pod's IPv6 address (row sends, column answers)"))
        #expect(text.contains("1 of 4 IPv6 pod pairs"))
        #expect(!text.contains("of 4 pod pairs"))
    }

    @Test func bothMatricesAsExpectedAreOK() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(Self.dualStack)
        var observations = ConnectivityObservations(echo: Self.all)
        observations.echoV6 = Self.all
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: observations)
        #expect(report.ok, "\(report.failures)")
        #expect(ConnectivityReportText().render(report).hasSuffix("ok: cluster lab: all 4 pod pairs and 4 IPv6 pod pairs as expected"))
    }

    @Test func jsonAddsTheIPv6SectionAndLeavesIPv4sAlone() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(Self.dualStack)
        var observations = ConnectivityObservations(echo: Self.all)
        observations.echoV6 = [[.replied, .unreachable("ICMPv6 no route from fd00:200::1")], [.replied, .replied]]
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: observations)
        let json = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any])
        let v4 = try #require(json["podToPod"] as? [String: Any])
        #expect(v4["method"] as? String == "icmp-echo")
        #expect(v4["family"] == nil)
        #expect((v4["results"] as? [[String: Any]])?[1]["address"] as? String == "10.200.1.2")
        let v6 = try #require(json["podToPodIPv6"] as? [String: Any])
        #expect(v6["method"] as? String == "icmpv6-echo")
        #expect(v6["family"] as? String == "IPv6")
        #expect(v6["pairs"] as? Int == 4)
        #expect(v6["asExpected"] as? Int == 3)
        let results = try #require(v6["results"] as? [[String: Any]])
        #expect(results[1]["address"] as? String == "fd00:200:0:1::2")
        #expect(results[1]["observed"] as? String == "unreachable")
        #expect(results[1]["detail"] as? String == "ICMPv6 no route from fd00:200::1")
        #expect(json["failures"] as? [String] == ["a0 → b0 (fd00:200:0:1::2): unreachable: ICMPv6 no route from fd00:200::1"])
    }

    /// The same IPv4 observations give the same bytes whether or not the IPv6
    /// section exists in the model: an IPv4-only report has no new key.
    @Test func anIPv4OnlyReportHasNoIPv6Key() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(ConnectivityReportTests.twoNodes)
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: .init(echo: Self.all))
        let text = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(!text.contains("IPv6"))
        #expect(report.matrixV6 == nil)
    }

    /// Policies filter both families alike: a deny-all policy denies IPv6 echo as
    /// it does IPv4's.
    @Test func ipv6EchoIsDeniedWherePoliciesDenyIPv4() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(Self.dualStack + """

        networkPolicies:
          - { name: deny, podSelector: {}, policyTypes: [Ingress] }
        """)
        #expect(!expectations.expectsEcho(from: 0, to: 1, family: .ipv4))
        #expect(!expectations.expectsEcho(from: 0, to: 1, family: .ipv6))
        #expect(expectations.isolationReason(from: 0, to: 1, family: .ipv6)?.hasPrefix("NetworkPolicy denies it") == true)
    }

    /// An ipBlock peer is of one family: an IPv6 block admits IPv6 traffic from the
    /// pods in it and nothing over IPv4, an IPv4 block the reverse; selector peers
    /// are the same in both families.
    static let perFamilyBlocks = dualStack + """

    networkPolicies:
      - name: v6-block
        podSelector: { matchLabels: { app: web } }
        ingress:
          - from: [{ ipBlock: { cidr: "fd00:200::/64" } }]
            ports: [{ port: 80 }]
          - from: [{ ipBlock: { cidr: 10.200.1.0/24 } }]
            ports: [{ port: 81 }]
    """

    @Test func ipBlocksMatchTheirOwnFamilyOnly() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(Self.perFamilyBlocks)
        let p80 = PolicyProbePort(80, .tcp), p81 = PolicyProbePort(81, .tcp)
        // a0 is in fd00:200::/64 (node-0's IPv6 pod CIDR), b0 in 10.200.1.0/24.
        #expect(expectations.expectsPolicyReach(from: 0, to: 1, on: p80, family: .ipv6))
        #expect(!expectations.expectsPolicyReach(from: 0, to: 1, on: p80, family: .ipv4))
        #expect(expectations.expectsPolicyReach(from: 1, to: 0, on: p81, family: .ipv4))
        #expect(!expectations.expectsPolicyReach(from: 1, to: 0, on: p81, family: .ipv6))
        #expect(!expectations.expectsPolicyReach(from: 1, to: 0, on: p80, family: .ipv6))
    }

    /// The IPv6 policy matrix fails on its own, says the IPv6 address, and has its
    /// own text and JSON section; IPv4's keep their words.
    @Test func theIPv6PolicyMatrixIsReportedBesideIPv4s() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(Self.perFamilyBlocks)
        let ports = expectations.policyProbePorts
        let port80 = try #require(ports.firstIndex(of: PolicyProbePort(80, .tcp)))
        func observed(_ family: AddressFamily) -> [[[ConnectionObservation]]] {
            (0..<2).map { source in
                (0..<2).map { destination in
                    ports.map { port in
                        expectations.expectsPolicyReach(from: source, to: destination, on: port, family: family)
                            ? .answered(expectations.pods[destination].name) : .timedOut(connected: false)
                    }
                }
            }
        }
        var observations = ConnectivityObservations(echoTimeout: 1)
        observations.policyPorts = ports
        observations.policy = observed(.ipv4)
        var v6 = observed(.ipv6)
        v6[0][1][port80] = .timedOut(connected: false)  // allowed over IPv6, dropped
        observations.policyV6 = v6
        let report = ConnectivityReport(cluster: "lab", expectations: expectations, observations: observations)
        #expect(report.policy?.asExpected == report.policy?.probes)
        #expect(report.policyV6?.family == .ipv6)
        #expect(report.policyV6.map { $0.probes - $0.asExpected } == 1)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.hasPrefix("a0 → b0 (fd00:200:0:1::2) 80/TCP: timed out, but NetworkPolicy allows it") == true)

        let text = ConnectivityReportText().render(report)
        #expect(text.contains("NetworkPolicy: a connection from inside each pod to every pod (row connects, column answers)"))
        #expect(text.contains("NetworkPolicy over IPv6: a connection from inside each pod to every pod's IPv6 address (row connects, column answers)"))
        #expect(text.contains("1 of \(report.policyV6!.probes) IPv6 policy probes"))
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        let section = try #require(json["networkPolicyIPv6"] as? [String: Any])
        #expect(section["family"] as? String == "IPv6")
        let results = try #require(section["results"] as? [[String: Any]])
        #expect(results.contains { $0["address"] as? String == "fd00:200:0:1::2" && $0["ok"] as? Bool == false })
        #expect((json["networkPolicy"] as? [String: Any])?["family"] == nil)
    }

    /// A dual-stack service is probed at each ClusterIP, the IPv6 one with listeners
    /// of its own family; an IPv4-only service (ipFamilies) at its one.
    @Test func eachClusterIPIsATargetWithListenersOfItsFamily() throws {
        let expectations = try ConnectivityExpectationsTests.expectations(Self.dualStack + """

        proxy: { mode: iptables }
        services:
          - { name: web, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
          - { name: v4, ipFamilies: [IPv4], selector: { app: web }, ports: [{ port: 81, targetPort: 8080 }] }
        """)
        let targets = expectations.serviceTargets(via: .clusterIP)
        #expect(targets.map(\.destination) == ["10.96.0.1:80", "[fd00:96::1]:80", "10.96.0.2:81"])
        #expect(targets[1].expected == targets[0].expected)
        #expect(Set(expectations.listeners(for: targets)) == [
            ListenerSpec(pod: "a0", port: 8080, protocol: .tcp), ListenerSpec(pod: "b0", port: 8080, protocol: .tcp),
            ListenerSpec(pod: "a0", port: 8080, protocol: .tcp, family: .ipv6), ListenerSpec(pod: "b0", port: 8080, protocol: .tcp, family: .ipv6),
        ])
        // --via endpoints: each endpoint at each of its addresses of the service's families.
        #expect(expectations.serviceTargets(via: .endpoints).map(\.destination) == [
            "10.200.0.2:8080", "[fd00:200::2]:8080", "10.200.1.2:8080", "[fd00:200:0:1::2]:8080", "10.200.0.2:8080", "10.200.1.2:8080",
        ])
    }
}
