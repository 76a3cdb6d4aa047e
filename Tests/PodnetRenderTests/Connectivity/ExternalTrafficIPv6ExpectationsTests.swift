import Foundation
import PodnetAddress
@testable import PodnetRender
import PodnetTopology
import Testing

/// Traffic from outside in a dual-stack cluster: every NodePort is a target at each
/// node's IPv6 address too, judged as IPv4's, with the sources' and nodes' IPv6
/// addresses as the ones an endpoint may see.
@Suite struct ExternalTrafficIPv6ExpectationsTests {
    static func topology(policy: String = "Cluster", ipFamilies: String = "[IPv4, IPv6]") -> String {
        """
        name: lab
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
        network: { backend: host-gw }
        nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]
        clients: [{ name: ext }]
        pods:
          - { name: a0, node: node-0, labels: { app: web } }
          - { name: b0, node: node-1, labels: { app: web } }
          - { name: x0, node: node-2 }
        services:
          - name: web
            type: NodePort
            ipFamilies: \(ipFamilies)
            externalTrafficPolicy: \(policy)
            externalIPs: [203.0.113.10]
            selector: { app: web }
            ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
        """
    }

    @Test func everyNodePortIsATargetInEachFamilyOfTheService() throws {
        let expectations = try ExternalTrafficExpectationsTests.expectations(Self.topology())
        #expect(expectations.sources.map { $0.address(.ipv6)?.description } == ["fd00:200::2", "fd00:200:0:1::2", "fd00:200:0:2::2", "fd00:64::7"])
        let targets = expectations.externalTargets()
        #expect(targets.map(\.destination) == ["192.168.64.4:30080", "192.168.64.5:30080", "192.168.64.6:30080",
                                               "[fd00:64::4]:30080", "[fd00:64::5]:30080", "[fd00:64::6]:30080", "203.0.113.10:80"])
        // IPv6's expectations are IPv4's, target by target.
        for (ipv4, ipv6) in zip(targets[0..<3], targets[3..<6]) {
            #expect(ipv4.expected == ipv6.expected && ipv4.sourcesSeen == ipv6.sourcesSeen)
        }
        // Each family's listener on the endpoints.
        #expect(Set(expectations.listeners(for: targets)) == [
            ListenerSpec(pod: "a0", port: 8080, protocol: .tcp), ListenerSpec(pod: "b0", port: 8080, protocol: .tcp),
            ListenerSpec(pod: "a0", port: 8080, protocol: .tcp, family: .ipv6), ListenerSpec(pod: "b0", port: 8080, protocol: .tcp, family: .ipv6),
        ])
        // An IPv4-only service of the same cluster has no IPv6 NodePort.
        let ipv4Only = try ExternalTrafficExpectationsTests.expectations(Self.topology(ipFamilies: "[IPv4]"))
        #expect(!ipv4Only.externalTargets().contains { $0.address.family == .ipv6 })
    }

    @Test func theSourcesAnEndpointMaySeeAreOfTheTargetsFamily() throws {
        let expectations = try ExternalTrafficExpectationsTests.expectations(Self.topology(policy: "Local"))
        let ext = try #require(expectations.sources.last)
        // Kept: the client's own address of the family.
        #expect(expectations.allowedSources(.sender, from: ext, family: .ipv6) == [IPAddress("fd00:64::7")!])
        #expect(expectations.allowedSources(.sender, from: ext, family: .ipv4) == [IPAddress("192.168.64.7")!])
        // Masqueraded: the node's addresses of the family only (its bridge's and uplink's).
        #expect(expectations.allowedSources(.node("node-1"), from: ext, family: .ipv6)
            == [IPAddress("fd00:64::5")!, IPAddress("fd00:200:0:1::1")!])
        #expect(expectations.allows(IPAddress("fd00:64::7")!, .sender, from: ext, answeredBy: "b0"))
        #expect(!expectations.allows(IPAddress("192.168.64.7")!, .node("node-1"), from: ext, answeredBy: "b0"))
        #expect(expectations.owner(of: IPAddress("fd00:64::7")!) == "ext")
        #expect(expectations.owner(of: IPAddress("fd00:200:0:2::1")!) == "node-2")
    }
}
