import PodnetAddress
import PodnetTopology
import Testing

@Suite struct AllocationTests {
    static let minimal = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: a1, node: node-0 }
      - { name: b, node: node-1, labels: { app: web } }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
    """

    @Test func defaultsFollowDeclarationOrder() throws {
        let topology = try loadValid(Self.minimal)
        #expect(topology.nodes.map(\.address) == [ip("192.168.64.4"), ip("192.168.64.5")])
        #expect(topology.nodes.map(\.podCIDR) == [prefix("10.200.0.0/24"), prefix("10.200.1.0/24")])
        #expect(topology.nodes.map(\.gateway) == [ip("10.200.0.1"), ip("10.200.1.1")])
        #expect(topology.nodes.map(\.bridge) == ["cni0", "cni0"])
        #expect(topology.pods.map(\.ip) == [ip("10.200.0.2"), ip("10.200.0.3"), ip("10.200.1.2")])
        #expect(topology.services[0].clusterIP == ip("10.96.0.1"))
        #expect(topology.services[0].endpoints == ["a0", "b"])
        #expect(topology.services[0].ports == [ServicePort(port: 80, targetPort: 8080, protocol: .tcp)])
    }

    @Test func defaultsOfTheNetworkSection() throws {
        let topology = try loadValid(Self.minimal)
        #expect(topology.network == Network(backend: .vxlan, mtu: 1500, masquerade: true,
                                            vxlan: VXLAN(vni: 1, port: 4789, discovery: .static, group: nil)))
        #expect(topology.network.podMTU == 1450)
        #expect(topology.proxy.mode == .nftables)
        #expect(topology.underlay.cidr == prefix("192.168.64.0/24"))
    }

    @Test func explicitValuesAreSkippedByDefaults() throws {
        let topology = try loadValid("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes:
          - { name: node-0, address: 192.168.64.5, podCIDR: 10.200.0.0/24 }
          - { name: node-1 }
        pods:
          - { name: a0, node: node-0, ip: 10.200.0.2 }
          - { name: a1, node: node-0 }
          - { name: a2, node: node-0, ip: 10.200.0.4 }
          - { name: a3, node: node-0 }
        """)
        #expect(topology.nodes.map(\.address) == [ip("192.168.64.5"), ip("192.168.64.4")])
        #expect(topology.nodes[1].podCIDR == prefix("10.200.1.0/24"))
        #expect(topology.pods.map(\.ip) == [ip("10.200.0.2"), ip("10.200.0.3"), ip("10.200.0.4"), ip("10.200.0.5")])
    }

    @Test func aDefaultPodCIDRSkipsOnesOverlappingExplicitOnes() throws {
        let topology = try loadValid("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes:
          - { name: node-0 }
          - { name: node-1, podCIDR: 10.200.0.0/23 }
        """)
        #expect(topology.nodes[0].podCIDR == prefix("10.200.2.0/24"))
    }

    @Test func liveAssignmentsAreSticky() throws {
        // A live cluster where a1 had .3 and b had 10.200.1.2; a new pod a9 is inserted
        // first in the file: it must not take a live address.
        let live = LiveAssignments(
            nodeAddresses: ["node-0": ip("192.168.64.4"), "node-1": ip("192.168.64.5")],
            podCIDRs: ["node-0": prefix("10.200.0.0/24"), "node-1": prefix("10.200.1.0/24")],
            podIPs: ["a0": ip("10.200.0.2"), "a1": ip("10.200.0.3"), "b": ip("10.200.1.2")],
            clusterIPs: ["web": ip("10.96.0.1")])
        let topology = try loadValid("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        nodes:
          - { name: node-new }
          - { name: node-0 }
          - { name: node-1 }
        pods:
          - { name: a9, node: node-0 }
          - { name: a1, node: node-0 }
          - { name: b, node: node-1 }
        services:
          - { name: new, endpoints: [a9], ports: [{ port: 1 }] }
          - { name: web, endpoints: [b], ports: [{ port: 80 }] }
        """, live: live)
        #expect(topology.node(named: "node-0")?.podCIDR == prefix("10.200.0.0/24"))
        #expect(topology.node(named: "node-1")?.address == ip("192.168.64.5"))
        #expect(topology.node(named: "node-new")?.address == ip("192.168.64.6"))
        #expect(topology.node(named: "node-new")?.podCIDR == prefix("10.200.2.0/24"))
        #expect(topology.pod(named: "a1")?.ip == ip("10.200.0.3"))
        // a0 was removed: its address is free again, and the new pod takes the lowest free one.
        #expect(topology.pod(named: "a9")?.ip == ip("10.200.0.2"))
        #expect(topology.services.first { $0.name == "web" }?.clusterIP == ip("10.96.0.1"))
        #expect(topology.services.first { $0.name == "new" }?.clusterIP == ip("10.96.0.2"))
    }

    @Test func liveValuesThatNoLongerFitAreReallocated() throws {
        // The node's pod CIDR changed in the file: the pod's old address is outside it.
        let live = LiveAssignments(podIPs: ["a0": ip("10.200.0.2")])
        let topology = try loadValid("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0, podCIDR: 10.200.7.0/24 }]
        pods: [{ name: a0, node: node-0 }]
        """, live: live)
        #expect(topology.pods[0].ip == ip("10.200.7.2"))
    }

    /// apply parses the file once and resolves it twice (without, then with the live
    /// assignments): each resolution equals a load of the text.
    @Test func aParsedFileResolvesAsItsTextLoads() throws {
        let text = """
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0 }, { name: a1, node: node-0 }]
        """
        let live = LiveAssignments(podIPs: ["a1": ip("10.200.0.9")])
        guard case .parsed(let document) = TopologyLoader.parse(text: text, file: "t.yaml") else {
            Issue.record("the text did not parse")
            return
        }
        #expect(TopologyLoader.load(document, live: live).topology?.pod(named: "a1")?.ip == ip("10.200.0.9"))
        for assignments in [LiveAssignments.none, live] {
            let once = TopologyLoader.load(document, live: assignments)
            let whole = TopologyLoader.load(text: text, file: "t.yaml", live: assignments)
            #expect(once.topology != nil)
            #expect(once.topology == whole.topology)
            #expect(once.diagnostics == whole.diagnostics)
        }
        guard case .failed(let failed) = TopologyLoader.parse(text: "", file: "t.yaml") else {
            Issue.record("an empty file parsed")
            return
        }
        #expect(failed.errors.first?.message.hasPrefix("the file is empty") == true)
    }

    @Test func anExplicitValueWinsOverALiveOne() throws {
        let live = LiveAssignments(podIPs: ["a0": ip("10.200.0.2"), "a1": ip("10.200.0.3")])
        let topology = try loadValid("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }]
        pods:
          - { name: a0, node: node-0 }
          - { name: a1, node: node-0, ip: 10.200.0.2 }
        """, live: live)
        #expect(topology.pod(named: "a1")?.ip == ip("10.200.0.2"))
        #expect(topology.pod(named: "a0")?.ip == ip("10.200.0.3"))
    }

    @Test func exhaustionIsAnErrorNotACrash() {
        let found = errors("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0, podCIDR: 10.200.0.0/30 }]
        pods:
          - { name: a0, node: node-0 }
          - { name: a1, node: node-0 }
        """)
        #expect(found == ["6:5 no free address left in the podCIDR 10.200.0.0/30 of node 'node-0' for pod 'a1'; give the node a larger podCIDR"])
    }

    @Test func aThousandPodsGetDistinctAddresses() throws {
        let topology = try loadValid(LargeTopology.yaml(nodes: 10, podsPerNode: 100))
        #expect(topology.pods.count == 1000)
        #expect(Set(topology.pods.map(\.ip)).count == 1000)
        for pod in topology.pods {
            #expect(topology.node(named: pod.node)!.podCIDR!.contains(pod.ip!))
        }
    }
}

/// Generates N-node × M-pod topologies, for scale tests.
enum LargeTopology {
    static func yaml(nodes: Int, podsPerNode: Int) -> String {
        var text = "name: big\nclusterCIDR: 10.0.0.0/8\nserviceCIDR: 172.16.0.0/12\nnetwork: { backend: host-gw }\nunderlay: { cidr: 192.168.0.0/16 }\nnodes:\n"
        for n in 0..<nodes { text += "  - { name: node-\(n) }\n" }
        text += "pods:\n"
        for n in 0..<nodes {
            for p in 0..<podsPerNode { text += "  - { name: pod-\(n)-\(p), node: node-\(n), labels: { app: app-\(p % 10) } }\n" }
        }
        text += "services:\n"
        for s in 0..<10 { text += "  - { name: svc-\(s), selector: { app: app-\(s) }, ports: [{ port: 80, targetPort: 8080 }] }\n" }
        return text
    }
}
