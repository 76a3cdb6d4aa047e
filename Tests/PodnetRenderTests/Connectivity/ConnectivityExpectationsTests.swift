import PodnetAddress
@testable import PodnetRender
import PodnetTopology
import Testing

@Suite struct ConnectivityExpectationsTests {
    /// Two bridged nodes, one bridge-less node with a linked pair and a loner, and
    /// three services: selected endpoints, explicit endpoints on the bridge-less
    /// node, and none at all.
    static let mixed = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    network: { backend: host-gw }
    nodes:
      - { name: node-0 }
      - { name: node-1 }
      - { name: node-2, bridge: none }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: a1, node: node-0 }
      - { name: b0, node: node-1, labels: { app: web } }
      - { name: l0, node: node-2 }
      - { name: l1, node: node-2 }
      - { name: lone, node: node-2 }
    links:
      - { pods: [l0, l1] }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: UDP }] }
      - { name: linked, endpoints: [l1], ports: [{ port: 81 }] }
      - { name: empty, endpoints: [], ports: [{ port: 82 }] }
    """

    static func expectations(_ text: String = mixed) throws -> ConnectivityExpectations {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return ConnectivityExpectations(topology: topology)
    }

    @Test func bridgedPodsReachEveryBridgedPodOnEveryNodeAndThemselves() throws {
        let expected = try Self.expectations()
        let names = expected.pods.map(\.name)
        #expect(names == ["a0", "a1", "b0", "l0", "l1", "lone"])
        let reach = names.indices.map { source in names.indices.filter { expected.expectsReach(from: source, to: $0) }.map { names[$0] } }
        #expect(reach == [
            ["a0", "a1", "b0"],
            ["a0", "a1", "b0"],
            ["a0", "a1", "b0"],
            ["l0", "l1"],   // a linked pod: its peer and itself, nothing else
            ["l0", "l1"],
            [],             // in no link: no address, not even its own
        ])
    }

    @Test func isolationIsExplained() throws {
        let expected = try Self.expectations()
        #expect(expected.isolationReason(from: 0, to: 1) == nil)
        #expect(expected.isolationReason(from: 0, to: 3) == "l0 is on bridge-less node node-2: only its link peer reaches it")
        #expect(expected.isolationReason(from: 3, to: 0) == "l0 is on bridge-less node node-2: it reaches only its link peer")
        #expect(expected.isolationReason(from: 5, to: 5) == "lone is on bridge-less node node-2 and in no link: it has no address")
    }

    @Test func clusterIPTargetsExpectEndpointsFromPodsWithAGatewayAndRejectionWithoutEndpoints() throws {
        let expected = try Self.expectations()
        let targets = expected.serviceTargets(via: .clusterIP)
        #expect(targets.map(\.label) == ["web:80", "web:53/UDP", "linked:81", "empty:82"])
        #expect(targets.map(\.destination) == ["10.96.0.1:80", "10.96.0.1:53", "10.96.0.2:81", "10.96.0.3:82"])
        let web = targets[0]
        #expect(web.expected == [.answered(by: ["a0", "b0"]), .answered(by: ["a0", "b0"]), .answered(by: ["a0", "b0"]),
                                 .unreachable, .unreachable, .unreachable])
        // A service without endpoints: rejected at once, from every pod that can get there.
        #expect(targets[3].expected == [.rejected, .rejected, .rejected, .unreachable, .unreachable, .unreachable])
    }

    @Test func endpointTargetsFollowPodReachability() throws {
        let expected = try Self.expectations()
        let targets = expected.serviceTargets(via: .endpoints)
        #expect(targets.map { "\($0.label) \($0.route) \($0.destination)" } == [
            "web:80 endpoint(\"a0\") 10.200.0.2:8080", "web:80 endpoint(\"b0\") 10.200.1.2:8080",
            "web:53/UDP endpoint(\"a0\") 10.200.0.2:53", "web:53/UDP endpoint(\"b0\") 10.200.1.2:53",
            "linked:81 endpoint(\"l1\") 10.200.2.3:81",
        ])
        // Only l1's link peer (and l1 itself) reach it directly.
        #expect(targets[4].expected == [.unreachable, .unreachable, .unreachable, .answered(by: ["l1"]), .answered(by: ["l1"]), .unreachable])
    }

    @Test func neighbourEntriesOfAFullMeshAreEstimated() throws {
        // node-0: 2 pods (2 × 2 in the pods, 2 + 2 in the node); node-1: 1 pod (1, 1 + 2);
        // node-2: no bridge (2 in the node); the link: 2.
        #expect(try Self.expectations().neighbourEntriesForFullMesh == 8 + 4 + 2 + 2)
        // bench/'s 20 nodes × 10 pods: 20 × (100 + 10 + 19), past the kernel's default 1024.
        var text = "name: bench\nclusterCIDR: 10.0.0.0/8\nnetwork: { backend: host-gw }\nnodes:\n"
        for node in 0..<20 { text += "  - { name: n\(node) }\n" }
        text += "pods:\n"
        for node in 0..<20 { for pod in 0..<10 { text += "  - { name: p\(node)-\(pod), node: n\(node) }\n" } }
        #expect(try Self.expectations(text).neighbourEntriesForFullMesh == 2580)
    }

    @Test func listenersAreOnePerEndpointPortAndProtocol() throws {
        let expected = try Self.expectations()
        let listeners = expected.listeners(for: expected.serviceTargets(via: .clusterIP))
        #expect(listeners == [
            ListenerSpec(pod: "a0", port: 8080, protocol: .tcp), ListenerSpec(pod: "b0", port: 8080, protocol: .tcp),
            ListenerSpec(pod: "a0", port: 53, protocol: .udp), ListenerSpec(pod: "b0", port: 53, protocol: .udp),
            ListenerSpec(pod: "l1", port: 81, protocol: .tcp),
        ])
        // Probing endpoints directly needs the same listeners, once each.
        #expect(Set(expected.listeners(for: expected.serviceTargets(via: .endpoints))) == Set(listeners))
    }
}
