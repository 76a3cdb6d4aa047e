import PodnetAddress
import PodnetTopology
import Testing

/// NodePorts are deterministic for a fresh cluster (declaration order, lowest free
/// port, written ones skipped) and sticky for a live one, as ClusterIPs are.
@Suite struct NodePortAllocationTests {
    static func cluster(range: String? = nil, services: String) -> String {
        """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        \(range.map { "proxy: { nodePortRange: \"\($0)\" }" } ?? "")
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0, labels: { app: web } }]
        services:
        \(services)
        """
    }

    static func nodePorts(_ topology: Topology) -> [String: [Int?]] {
        Dictionary(uniqueKeysWithValues: topology.services.map { ($0.name, $0.ports.map(\.nodePort)) })
    }

    @Test func freshPortsFollowDeclarationOrderFromTheBottomOfTheRange() throws {
        let topology = try loadValid(Self.cluster(services: """
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }, { port: 443 }] }
          - { name: internal, selector: { app: web }, ports: [{ port: 8080 }] }
          - { name: dns, type: NodePort, selector: { app: web }, ports: [{ port: 53, protocol: UDP }] }
        """))
        #expect(Self.nodePorts(topology) == ["web": [30000, 30001], "internal": [nil], "dns": [30002]])
    }

    @Test func writtenPortsAreSkippedEvenWhenWrittenLater() throws {
        let topology = try loadValid(Self.cluster(services: """
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }, { port: 443 }] }
          - { name: api, type: NodePort, selector: { app: web }, ports: [{ port: 80, nodePort: 30000 }, { port: 81, nodePort: 30002 }] }
        """))
        #expect(Self.nodePorts(topology) == ["web": [30001, 30003], "api": [30000, 30002]])
    }

    @Test func aNarrowedRangeIsAllocatedFrom() throws {
        let topology = try loadValid(Self.cluster(range: "40000-40001", services: """
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }, { port: 443 }] }
        """))
        #expect(Self.nodePorts(topology) == ["web": [40000, 40001]])
        #expect(topology.proxy.nodePortRange == 40000...40001)
    }

    @Test func oneWrittenPortMayServeTCPAndUDP() throws {
        let topology = try loadValid(Self.cluster(services: """
          - { name: dns, type: NodePort, selector: { app: web }, ports: [{ port: 53, nodePort: 30053 }, { port: 53, protocol: UDP, nodePort: 30053 }] }
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
        """))
        #expect(Self.nodePorts(topology) == ["dns": [30053, 30053], "web": [30000]])
    }

    @Test func aFreshPortIsOneNoProtocolUses() throws {
        // As Kubernetes' allocator: one set of ports for all protocols.
        let topology = try loadValid(Self.cluster(services: """
          - { name: dns, type: NodePort, selector: { app: web }, ports: [{ port: 53, protocol: UDP, nodePort: 30000 }] }
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
        """))
        #expect(Self.nodePorts(topology) == ["dns": [30000], "web": [30001]])
    }

    @Test func liveNodePortsAreKept() throws {
        let live = LiveAssignments(nodePorts: [LiveAssignments.nodePortKey(service: "web", port: 80, protocol: .tcp): 31234])
        // A service declared before web would take 30000 anyway; web keeps its port.
        let topology = try loadValid(Self.cluster(services: """
          - { name: new, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }, { port: 443 }] }
        """), live: live)
        #expect(Self.nodePorts(topology) == ["new": [30000], "web": [31234, 30001]])
    }

    @Test func addingAServiceFirstRenumbersNobody() throws {
        let before = Self.cluster(services: """
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
          - { name: api, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
        """)
        let first = try loadValid(before)
        var live = LiveAssignments()
        for service in first.services {
            for port in service.ports {
                live.nodePorts[LiveAssignments.nodePortKey(service: service.name, port: port.port, protocol: port.protocol)] = port.nodePort
            }
        }
        let after = before.replacingOccurrences(of: "services:\n", with: """
        services:
          - { name: added, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }

        """)
        let second = try loadValid(after, live: live)
        #expect(Self.nodePorts(first) == ["web": [30000], "api": [30001]])
        #expect(Self.nodePorts(second) == ["added": [30002], "web": [30000], "api": [30001]])
    }

    @Test func aWrittenPortWinsOverAnotherServicesLiveOne() throws {
        let live = LiveAssignments(nodePorts: [LiveAssignments.nodePortKey(service: "web", port: 80, protocol: .tcp): 30005])
        let topology = try loadValid(Self.cluster(services: """
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
          - { name: api, type: NodePort, selector: { app: web }, ports: [{ port: 80, nodePort: 30005 }] }
        """), live: live)
        #expect(Self.nodePorts(topology) == ["web": [30000], "api": [30005]])
    }

    @Test func aLivePortOutsideANarrowedRangeIsReallocated() throws {
        let live = LiveAssignments(nodePorts: [LiveAssignments.nodePortKey(service: "web", port: 80, protocol: .tcp): 30005])
        let topology = try loadValid(Self.cluster(range: "31000-31999", services: """
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
        """), live: live)
        #expect(Self.nodePorts(topology) == ["web": [31000]])
    }

    @Test func aLivePortOfAServiceNowClusterIPIsDropped() throws {
        let live = LiveAssignments(nodePorts: [LiveAssignments.nodePortKey(service: "web", port: 80, protocol: .tcp): 30005])
        let topology = try loadValid(Self.cluster(services: """
          - { name: web, selector: { app: web }, ports: [{ port: 80 }] }
        """), live: live)
        #expect(Self.nodePorts(topology) == ["web": [nil]])
    }

    @Test func theVXLANPortIsNeverAllocated() throws {
        let topology = try loadValid(Self.cluster(range: "4789-4791", services: """
          - { name: dns, type: NodePort, selector: { app: web }, ports: [{ port: 53, protocol: UDP }, { port: 53 }] }
        """))
        #expect(Self.nodePorts(topology) == ["dns": [4790, 4791]])
        let hostGW = try loadValid(Self.cluster(range: "4789-4791", services: """
          - { name: dns, type: NodePort, selector: { app: web }, ports: [{ port: 53, protocol: UDP }] }
        """).replacingOccurrences(of: "nodes:", with: "network: { backend: host-gw }\nnodes:"))
        #expect(Self.nodePorts(hostGW) == ["dns": [4789]], "without VXLAN the port is free")
    }

    @Test func anExhaustedRangeIsAnErrorAtThePortLeftWithout() {
        let found = errors(Self.cluster(range: "30000-30001", services: """
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80, nodePort: 30001 }, { port: 81 }] }
          - { name: api, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }
        """))
        #expect(found == ["9:66 no free nodePort left in proxy.nodePortRange 30000-30001 (line 4) for port 80/TCP of service 'api'; widen proxy.nodePortRange"])
    }
}
