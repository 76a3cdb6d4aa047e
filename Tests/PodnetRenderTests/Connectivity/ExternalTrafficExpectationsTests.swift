import Foundation
import PodnetAddress
@testable import PodnetRender
import PodnetTopology
import Testing

/// What traffic from outside must show (`externalTargets()`), and the report of it.
@Suite struct ExternalTrafficExpectationsTests {
    /// Three host-gw nodes; web's endpoints a0 (node-0) and b0 (node-1), none on
    /// node-2, where x0 lives; the client ext on the underlay.
    static func topology(_ extra: String = "", policy: String = "Cluster", masquerade: Bool = true) -> String {
        """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        network: { backend: host-gw, masquerade: \(masquerade) }
        nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]
        clients: [{ name: ext, address: 192.168.64.100 }]
        pods:
          - { name: a0, node: node-0, labels: { app: web } }
          - { name: b0, node: node-1, labels: { app: web } }
          - { name: x0, node: node-2 }
        services:
          - name: web
            type: NodePort
            externalTrafficPolicy: \(policy)
            externalIPs: [203.0.113.10]
            selector: { app: web }
            ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
        \(extra)
        """
    }

    static func expectations(_ text: String) throws -> ConnectivityExpectations {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return ConnectivityExpectations(topology: topology)
    }

    static let both: ConnectionExpectation = .answered(by: ["a0", "b0"])

    @Test func everyNodePortOnEveryNodeThenEveryExternalIPFromEveryPodAndClient() throws {
        let expectations = try Self.expectations(Self.topology())
        #expect(expectations.sources.map(\.name) == ["a0", "b0", "x0", "ext"])
        #expect(expectations.sources.map(\.kind) == [.pod, .pod, .pod, .client])
        let targets = expectations.externalTargets()
        #expect(targets.map(\.route) == [.nodePort(node: "node-0"), .nodePort(node: "node-1"), .nodePort(node: "node-2"),
                                         .externalIP(node: "node-0")])
        #expect(targets.map(\.destination) == ["192.168.64.4:30080", "192.168.64.5:30080", "192.168.64.6:30080", "203.0.113.10:80"])
        #expect(targets.allSatisfy { $0.expected.count == 4 && $0.sourcesSeen.count == 4 && $0.policy == .cluster })
        // The listeners are the ClusterIP's: the endpoints on the targetPort.
        #expect(Set(expectations.listeners(for: targets)) == [ListenerSpec(pod: "a0", port: 8080, protocol: .tcp),
                                                              ListenerSpec(pod: "b0", port: 8080, protocol: .tcp)])
    }

    /// Cluster: every source reaches every endpoint and is masqueraded by the node the
    /// proxy decides at: the receiving node, or for an external IP a pod's own.
    @Test func clusterSpreadsOverEveryEndpointAndTheEndpointSeesTheReceivingNode() throws {
        let targets = try Self.expectations(Self.topology()).externalTargets()
        #expect(targets.allSatisfy { $0.expected == Array(repeating: Self.both, count: 4) })
        #expect(targets[2].sourcesSeen == Array(repeating: .node("node-2"), count: 4))
        #expect(targets[3].sourcesSeen == [.node("node-0"), .node("node-1"), .node("node-2"), .node("node-0")])
    }

    @Test func theNodesAddressesAreEveryAddressItsRenderingHolds() throws {
        let expectations = try Self.expectations(Self.topology())
        #expect(expectations.nodeAddresses["node-0"] == [IPAddress("10.200.0.1")!, IPAddress("192.168.64.4")!])
        #expect(expectations.owner(of: IPAddress("10.200.1.1")!) == "node-1")
        #expect(expectations.owner(of: IPAddress("192.168.64.100")!) == "ext")
        #expect(expectations.owner(of: IPAddress("10.200.0.2")!) == "a0")
    }

    /// Local: a client reaches the receiving node's own endpoints with its address
    /// kept, or nothing; a pod is short-circuited at its own node (and for external
    /// IPs), and at another node arrives from its node's address, as a client would.
    @Test func localKeepsTheClientsAddressAndDropsWhereTheNodeHasNoEndpoint() throws {
        let targets = try Self.expectations(Self.topology(policy: "Local")).externalTargets()
        let (node0, node2, externalIP) = (targets[0], targets[2], targets[3])
        #expect(node0.policy == .local)
        #expect(node0.expected == [Self.both, .answered(by: ["a0"]), .answered(by: ["a0"]), .answered(by: ["a0"])])
        #expect(node0.sourcesSeen == [.senderUnlessHairpin(node: "node-0"), .node("node-1"), .node("node-2"), .sender])
        #expect(node2.expected == [.dropped, .dropped, Self.both, .dropped])
        #expect(node2.sourcesSeen[2] == .senderUnlessHairpin(node: "node-2"))
        #expect(externalIP.expected == [Self.both, Self.both, Self.both, .answered(by: ["a0"])])
        #expect(externalIP.sourcesSeen == [.senderUnlessHairpin(node: "node-0"), .senderUnlessHairpin(node: "node-1"),
                                           .senderUnlessHairpin(node: "node-2"), .sender])
    }

    /// IPVS mode: a Local virtual server holds the node's own endpoints for pods too.
    @Test func inIPVSModePodsAreNotShortCircuited() throws {
        let text = Self.topology(policy: "Local").replacingOccurrences(of: "serviceCIDR: 10.96.0.0/12\n", with: "serviceCIDR: 10.96.0.0/12\nproxy: { mode: ipvs }\n")
        let targets = try Self.expectations(text).externalTargets()
        #expect(targets[0].expected == [.answered(by: ["a0"]), .answered(by: ["a0"]), .answered(by: ["a0"]), .answered(by: ["a0"])])
        #expect(targets[0].sourcesSeen[0] == .senderUnlessHairpin(node: "node-0"))
        #expect(targets[2].expected == [.dropped, .dropped, .dropped, .dropped])
        // The external IP: a pod's own node decides, with its own endpoints.
        #expect(targets[3].expected == [.answered(by: ["a0"]), .answered(by: ["b0"]), .dropped, .answered(by: ["a0"])])
    }

    /// Without network.masquerade a pod's connection to another node arrives from the
    /// pod's address, and that node short-circuits it too.
    @Test func withoutMasqueradeAPodIsShortCircuitedEverywhere() throws {
        let targets = try Self.expectations(Self.topology(policy: "Local", masquerade: false)).externalTargets()
        #expect(targets[2].expected == [Self.both, Self.both, Self.both, .dropped])
        #expect(targets[2].sourcesSeen[0] == .senderUnlessHairpin(node: "node-2"))
    }

    @Test func aServiceWithoutEndpointsRefusesAndABridgelessPodHasNoRoute() throws {
        let text = Self.topology().replacingOccurrences(of: "selector: { app: web }", with: "endpoints: []")
            .replacingOccurrences(of: "nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]",
                                  with: "nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2, bridge: none }]")
        let targets = try Self.expectations(text).externalTargets()
        #expect(targets[0].expected == [.rejected, .rejected, .unreachable, .rejected])
        // No endpoint: the first node receives the external IP.
        #expect(targets[3].route == .externalIP(node: "node-0"))
    }

    @Test func clientIPAffinityAsksForOneEndpointPerSource() throws {
        let text = Self.topology().replacingOccurrences(of: "    selector: { app: web }", with: "    sessionAffinity: ClientIP\n    selector: { app: web }")
        let expectations = try Self.expectations(text)
        #expect(expectations.externalTargets().allSatisfy { $0.oneEndpointPerSource })
        #expect(expectations.serviceTargets(via: .clusterIP).allSatisfy { $0.oneEndpointPerSource })
    }

    /// internalTrafficPolicy Local: a pod's ClusterIP traffic reaches its node's
    /// endpoints only, and is dropped where its node has none.
    @Test func internalLocalKeepsPodTrafficOnItsNode() throws {
        let text = Self.topology().replacingOccurrences(of: "    selector: { app: web }", with: "    internalTrafficPolicy: Local\n    selector: { app: web }")
        let target = try #require(try Self.expectations(text).serviceTargets(via: .clusterIP).first)
        #expect(target.expected == [.answered(by: ["a0"]), .answered(by: ["b0"]), .dropped])
        #expect(target.policy == .local)
    }

    // MARK: The report

    static func answered(_ pod: String, seeing source: String, _ count: Int = 10) -> [ConnectionObservation] {
        Array(repeating: .answered(pod, source: IPAddress(source)!), count: count)
    }

    static func report(_ expectations: ConnectivityExpectations, _ pattern: [[[ConnectionObservation]]]) -> ConnectivityReport {
        let external = zip(expectations.externalTargets(), pattern).map { ServiceObservation(target: $0, connections: $1) }
        return ConnectivityReport(cluster: "lab", expectations: expectations,
                                  observations: ConnectivityObservations(external: external, connectionsPerPod: 10))
    }

    static let timeouts = Array(repeating: ConnectionObservation.timedOut(connected: false), count: 10)

    /// Only the client probes here (pods' rows left out: a row without connections is not reported).
    @Test func localAsExpectedIsOKAndTheTextSaysWhoAnsweredAndWhatTheySaw() throws {
        let expectations = try Self.expectations(Self.topology(policy: "Local"))
        let report = Self.report(expectations, [
            [[], [], [], Self.answered("a0", seeing: "192.168.64.100")],
            [[], [], [], Self.answered("b0", seeing: "192.168.64.100")],
            [[], [], [], Self.timeouts],
            [[], [], [], Self.answered("a0", seeing: "192.168.64.100")],
        ])
        #expect(report.ok, "\(report.failures)")
        #expect(report.external?.rows.count == 4)
        let text = ConnectivityReportText().render(report)
        #expect(text.contains("traffic from outside: 10 connections from each client and pod to every NodePort on every node and to every external IP"), "\(text)")
        #expect(text.contains("web:80   NodePort on node-0     192.168.64.4:30080  ext   Local   a0                           ext's own (kept)  a0 100%      192.168.64.100 (ext)        0            0         0  ok"), "\(text)")
        #expect(text.contains("web:80   NodePort on node-2     192.168.64.6:30080  ext   Local   dropped (no local endpoint)  -                 -            -                           0            0        10  ok"), "\(text)")
        #expect(text.hasSuffix("ok: cluster lab: all 4 checks from outside as expected"), "\(text)")
    }

    @Test func aMasqueradedClientUnderLocalAndARefusalWhereADropIsDueAreNamed() throws {
        let expectations = try Self.expectations(Self.topology(policy: "Local"))
        let report = Self.report(expectations, [
            [[], [], [], Self.answered("a0", seeing: "10.200.0.1")],
            [[], [], [], Self.answered("b0", seeing: "192.168.64.100")],
            [[], [], [], Array(repeating: .refused, count: 10)],
            [[], [], [], Self.answered("b0", seeing: "192.168.64.100")],
        ])
        #expect(report.failures == [
            "web:80 at 192.168.64.4:30080 from ext: 10 saw the source 10.200.0.1 (node-0), not ext's own 192.168.64.100 (kept)",
            "web:80 at 192.168.64.6:30080 from ext: 10 refused (of 10); node-2 has no local endpoint and must drop every connection (externalTrafficPolicy Local), not answer or refuse it",
            "web:80 at 203.0.113.10:80 from ext: 10 answered by b0, not a local endpoint (a0) (of 10)",
        ])
    }

    /// Cluster: any address of the receiving node is a masqueraded source (its
    /// bridge's towards a local endpoint, its eth0's towards another node); the
    /// client's own is not.
    @Test func underClusterTheSourceMustBeTheReceivingNodes() throws {
        let expectations = try Self.expectations(Self.topology())
        let ok = Self.answered("a0", seeing: "10.200.0.1", 5) + Self.answered("b0", seeing: "192.168.64.4", 5)
        let report = Self.report(expectations, [
            [ok, [], [], ok],
            [[], [], [], Self.answered("a0", seeing: "192.168.64.100", 5) + Self.answered("b0", seeing: "192.168.64.5", 5)],
        ])
        #expect(report.failures == ["web:80 at 192.168.64.5:30080 from ext: 5 saw the source 192.168.64.100 (ext), not an address of node-1 (masqueraded)"])
        let row = try #require(report.external?.rows.first)
        #expect(row.seen == [.init(address: "10.200.0.1", owner: "node-0", count: 5), .init(address: "192.168.64.4", owner: "node-0", count: 5)])
    }

    /// Hairpin under Local: a pod answering itself sees its node, any other endpoint the pod.
    @Test func aShortCircuitedPodKeepsItsAddressUnlessItAnswersItself() throws {
        let expectations = try Self.expectations(Self.topology(policy: "Local"))
        let short = Self.answered("a0", seeing: "10.200.0.1", 5) + Self.answered("b0", seeing: "10.200.0.2", 5)
        // At its own node's NodePort, and at the external IP (which its own node takes).
        let report = Self.report(expectations, [[short, [], [], []], [], [], [short, [], [], []]])
        #expect(report.failures == [])
        let wrong = Self.report(expectations, [
            [Self.answered("b0", seeing: "10.200.0.1", 10), [], [], []],
        ])
        #expect(wrong.failures == ["web:80 at 192.168.64.4:30080 from a0: 10 saw the source 10.200.0.1 (node-0), not a0's own 10.200.0.2 (short-circuited, kept)"])
    }

    @Test func affinityFailsWhenOneClientReachesTwoEndpointsAndNeverCallsAStickyClientSilent() throws {
        let text = Self.topology().replacingOccurrences(of: "    selector: { app: web }", with: "    sessionAffinity: ClientIP\n    selector: { app: web }")
        let expectations = try Self.expectations(text)
        let sticky = Self.report(expectations, [
            [Self.answered("a0", seeing: "10.200.0.1"), Self.answered("a0", seeing: "10.200.0.1"), [], Self.answered("a0", seeing: "10.200.0.1")],
        ])
        #expect(sticky.ok, "\(sticky.failures)")
        let rendered = ConnectivityReportText().render(sticky)
        #expect(rendered.contains("a0, b0; one endpoint per client"), "\(rendered)")
        let split = Self.report(expectations, [
            [[], [], [], Self.answered("a0", seeing: "192.168.64.4", 5) + Self.answered("b0", seeing: "192.168.64.4", 5)],
        ])
        #expect(split.failures == ["web:80 at 192.168.64.4:30080 from ext: answered by a0 and b0: one endpoint per client expected (sessionAffinity ClientIP)"])
    }

    /// Without affinity, an endpoint that answered none of many connections is named,
    /// per target.
    @Test func anEndpointSilentAtANodePortIsNamed() throws {
        let expectations = try Self.expectations(Self.topology())
        let report = Self.report(expectations, [
            [Self.answered("a0", seeing: "10.200.0.1", 20), [], [], Self.answered("a0", seeing: "10.200.0.1", 20)],
        ])
        #expect(report.failures == ["web:80 at 192.168.64.4:30080: endpoint b0 answered none of 40 answered connections (1 in 2 expected): is it missing from the load balancer?"])
    }

    /// Beyond the detailed limit, one line per target, summed over its sources.
    @Test func manySourcesAreSummedPerTarget() throws {
        let expectations = try Self.expectations(Self.topology(policy: "Local"))
        let report = Self.report(expectations, [
            [[], [], [], Self.answered("a0", seeing: "192.168.64.100")],
            [], [[], [], [], Array(repeating: .refused, count: 10)],
        ])
        let text = ConnectivityReportText(maxDetailedPods: 1).render(report)
        #expect(text.contains("(summed over all sources)"), "\(text)")
        #expect(text.contains("web:80   NodePort on node-0  192.168.64.4:30080  Local   a0 100%, b0 0%        0            0         0  ok"), "\(text)")
        #expect(text.contains("web:80   NodePort on node-2  192.168.64.6:30080  Local   -                    10            0         0  FAIL (1 source)"), "\(text)")
    }

    @Test func theJSONCarriesTheRouteThePolicyAndTheSourcesSeen() throws {
        let expectations = try Self.expectations(Self.topology(policy: "Local"))
        let report = Self.report(expectations, [
            [[], [], [], Self.answered("a0", seeing: "192.168.64.100")],
            [], [[], [], [], Self.timeouts],
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any])
        let external = try #require(json["external"] as? [String: Any])
        #expect(external["connectionsPerSource"] as? Int == 10)
        let rows = try #require(external["results"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows[0]["route"] as? String == "nodePort")
        #expect(rows[0]["node"] as? String == "node-0")
        #expect(rows[0]["policy"] as? String == "Local")
        #expect(rows[0]["sourceKind"] as? String == "client")
        #expect(rows[0]["expectedSource"] as? String == "sender")
        #expect(rows[0]["expectedSourceAddresses"] as? [String] == ["192.168.64.100"])
        #expect(rows[0]["sources"] as? [String: Int] == ["192.168.64.100": 10])
        #expect(rows[0]["oneEndpointPerSource"] as? Bool == false)
        #expect(rows[1]["expected"] as? String == "drop")
        #expect(rows[1]["expectedSource"] == nil)
        #expect(rows[1]["ok"] as? Bool == true)
        #expect(json["services"] == nil)
    }
}
