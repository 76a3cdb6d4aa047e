import Foundation
import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

@Suite struct LabRendererTests {
    func render(_ text: String) throws -> KernelState {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return LabRenderer(topology: topology).render()
    }

    static let hostGW = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    network: { backend: host-gw }
    nodes:
      - { name: node-0, bridge: br0 }
      - { name: node-1, bridge: br1 }
    pods:
      - { name: a0, node: node-0 }
      - { name: b0, node: node-1 }
    """

    @Test func namespacesAreNamedAndMarked() throws {
        let state = try render(Self.hostGW)
        #expect(state.namespaces.keys.sorted() == ["lab.a0", "lab.b0", "lab.node-0", "lab.node-1", "lab.underlay"])
        #expect(state.namespaces["lab.a0"]?.mark.alias == "podnet:lab:pod/a0")
        #expect(state.links[.init(.named("lab.node-0"), "lo")]?.mark?.alias == "podnet:lab:node/node-0")
        #expect(state.links.values.allSatisfy { $0.mark?.cluster == "lab" })
    }

    @Test func podIsAVethOnItsNodeBridgeWithHairpin() throws {
        let state = try render(Self.hostGW)
        let podEnd = Link.ID(.named("lab.a0"), "eth0")
        let hostEnd = Link.ID(.named("lab.node-0"), KernelNames.peerEnd(of: "a0"))
        #expect(state.links[podEnd]?.kind == .veth(peer: hostEnd))
        #expect(state.links[hostEnd]?.kind == .veth(peer: podEnd))
        #expect(state.links[hostEnd]?.master == "br0")
        #expect(state.links[hostEnd]?.hairpin == true)
        #expect(state.links[hostEnd]?.alternativeNames == ["pod-a0"])
        #expect(state.addresses.contains(Address(link: podEnd, address: IPv4Prefix("10.200.0.2/24")!)))
        let route = state.routes[.init(namespace: .named("lab.a0"), destination: IPv4Prefix("0.0.0.0/0")!)]
        #expect(route?.gateway == IPAddress("10.200.0.1"))
        #expect(route?.device == "eth0")
    }

    @Test func nodeHasUplinkBridgeForwardingAndHostGatewayRoutes() throws {
        let state = try render(Self.hostGW)
        let node = NamespaceRef.named("lab.node-0")
        #expect(state.addresses.contains(Address(link: .init(node, "eth0"), address: IPv4Prefix("192.168.64.4/24")!)))
        #expect(state.addresses.contains(Address(link: .init(node, "br0"), address: IPv4Prefix("10.200.0.1/24")!)))
        #expect(state.sysctls[.init(namespace: node, key: "net.ipv4.ip_forward")]?.value == "1")
        let route = state.routes[.init(namespace: node, destination: IPv4Prefix("10.200.1.0/24")!)]
        #expect(route?.gateway == IPAddress("192.168.64.5"))
        #expect(route?.device == "eth0")
        #expect(state.routes.values.filter { $0.id.namespace == node }.count == 1)
        let port = Link.ID(.named("lab.underlay"), KernelNames.peerEnd(of: "node-0"))
        #expect(state.links[port]?.master == "underlay")
        #expect(state.links[port]?.alternativeNames == ["node-node-0"])
    }

    @Test func directLinkJoinsTwoPodsWithoutABridge() throws {
        let state = try render("""
        name: veth
        clusterCIDR: 10.200.0.0/16
        network: { backend: host-gw }
        nodes: [{ name: node-0, bridge: none }]
        pods: [{ name: a0, node: node-0 }, { name: a1, node: node-0 }]
        links: [{ pods: [a0, a1] }]
        """)
        let a = Link.ID(.named("veth.a0"), "eth0"), b = Link.ID(.named("veth.a1"), "eth0")
        #expect(state.links[a]?.kind == .veth(peer: b))
        #expect(state.links[b]?.kind == .veth(peer: a))
        #expect(state.links(in: .named("veth.node-0")).map(\.id.name) == ["eth0", "lo"])
        #expect(state.routes.values.allSatisfy { $0.id.namespace != .named("veth.a0") })
    }

    @Test func peerNamesFitTheKernelAndAreStable() {
        let name = KernelNames.peerEnd(of: String(repeating: "a", count: 63))
        #expect(name.utf8.count <= 15)
        #expect(KernelNames.peerEnd(of: "a0") == KernelNames.peerEnd(of: "a0"))
        #expect(KernelNames.peerEnd(of: "a0") != KernelNames.peerEnd(of: "a1"))
        // FNV-1a of "a0", fixed so that a change of hash (which would rename every live
        // veth) fails here.
        #expect(KernelNames.peerEnd(of: "a0") == "veth1b24b714")
    }
}

@Suite struct LiveAssignmentsReaderTests {
    @Test func readsBackWhatRenderAllocated() throws {
        let result = TopologyLoader.load(text: """
        name: lab
        clusterCIDR: 10.200.0.0/16
        network: { backend: host-gw }
        nodes: [{ name: node-0 }, { name: node-1 }]
        pods: [{ name: a0, node: node-0 }, { name: b0, node: node-1 }]
        """, file: "t.yaml")
        let topology = try #require(result.topology)
        let live = LabRenderer(topology: topology).render()
        let assignments = LiveAssignmentsReader.assignments(in: live, cluster: "lab")
        #expect(assignments.nodeAddresses == ["node-0": IPv4Address("192.168.64.4")!, "node-1": IPv4Address("192.168.64.5")!])
        #expect(assignments.podCIDRs == ["node-0": IPv4Prefix("10.200.0.0/24")!, "node-1": IPv4Prefix("10.200.1.0/24")!])
        #expect(assignments.podIPs == ["a0": IPv4Address("10.200.0.2")!, "b0": IPv4Address("10.200.1.2")!])
    }

    @Test func readsBackTheClientsAddresses() throws {
        let result = TopologyLoader.load(text: """
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0 }]
        clients: [{ name: outside }, { name: laptop, address: 192.168.64.100 }]
        """, file: "t.yaml")
        let topology = try #require(result.topology)
        let assignments = LiveAssignmentsReader.assignments(in: LabRenderer(topology: topology).render(), cluster: "lab")
        #expect(assignments.clientAddresses == ["outside": IPv4Address("192.168.64.5")!, "laptop": IPv4Address("192.168.64.100")!])
        #expect(assignments.nodeAddresses == ["node-0": IPv4Address("192.168.64.4")!])
        #expect(assignments.podIPs == ["a0": IPv4Address("10.200.0.2")!])
    }

    @Test func addingANodeMovesNoClient() throws {
        let before = """
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }]
        clients: [{ name: outside }]
        """
        let live = LabRenderer(topology: try #require(TopologyLoader.load(text: before, file: "t").topology)).render()
        let after = before.replacingOccurrences(of: "nodes: [", with: "nodes: [{ name: new }, ")
        let assignments = LiveAssignmentsReader.assignments(in: live, cluster: "lab")
        let topology = try #require(TopologyLoader.load(text: after, file: "t", live: assignments).topology)
        #expect(topology.clients.map(\.address) == [IPv4Address("192.168.64.5")!])
        #expect(topology.node(named: "node-0")?.address == IPv4Address("192.168.64.4"))
        #expect(topology.node(named: "new")?.address == IPv4Address("192.168.64.6"))
    }

    /// The live state as the reader returns it in proxy mode nftables when every
    /// node's table matches its record: the records, not the tables.
    private func liveWithRecords(_ topology: Topology) -> KernelState {
        var live = LabRenderer(topology: topology).render()
        let record = NFTablesProxyRenderer(topology: topology).record()
        for node in topology.nodes {
            let id = NFTable.ID(namespace: .named("\(topology.name).\(node.name)"), name: NFTablesProxyNames.table(cluster: topology.name))
            #expect(live.nftTables.removeValue(forKey: id) != nil)
            live.nftRecords[id] = record
        }
        return live
    }

    @Test func readsClusterIPsAndNodePortsFromTheProxyRecord() throws {
        let topology = try #require(TopologyLoader.load(text: """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        nodes: [{ name: node-0 }, { name: node-1 }]
        pods: [{ name: a0, node: node-0, labels: { app: web } }]
        services:
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }, { port: 53, protocol: UDP }] }
          - { name: api, selector: { app: web }, ports: [{ port: 8080 }] }
        """, file: "t.yaml").topology)
        let assignments = LiveAssignmentsReader.assignments(in: liveWithRecords(topology), cluster: "lab")
        #expect(assignments.clusterIPs == ["web": IPv4Address("10.96.0.1")!, "api": IPv4Address("10.96.0.2")!])
        #expect(assignments.nodePorts == ["web/TCP/80": 30000, "web/UDP/53": 30001])
    }

    @Test func addingServicesFirstRenumbersNoLiveOne() throws {
        let before = """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0, labels: { app: web } }]
        services:
          - { name: web, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }

        """
        let first = try #require(TopologyLoader.load(text: before, file: "t").topology)
        let after = before.replacingOccurrences(of: "services:\n", with: """
        services:
          - { name: new, type: NodePort, selector: { app: web }, ports: [{ port: 80 }] }

        """)
        let assignments = LiveAssignmentsReader.assignments(in: liveWithRecords(first), cluster: "lab")
        let topology = try #require(TopologyLoader.load(text: after, file: "t", live: assignments).topology)
        #expect(topology.services.map(\.name) == ["new", "web"])
        #expect(topology.services.map(\.clusterIP) == [IPv4Address("10.96.0.2")!, IPv4Address("10.96.0.1")!])
        #expect(topology.services.map { $0.ports[0].nodePort } == [30001, 30000])
    }

    @Test func readsClusterIPsFromTheTablesWhenThereIsNoRecord() throws {
        let topology = try #require(TopologyLoader.load(text: """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        nodes: [{ name: node-0 }, { name: node-1 }]
        pods: [{ name: a0, node: node-0, labels: { app: web } }]
        services:
          - { name: web, clusterIP: 10.96.0.9, selector: { app: web }, ports: [{ port: 80 }, { port: 53, protocol: UDP }] }
          - { name: api, selector: { app: web }, ports: [{ port: 8080 }] }
          - { name: idle, selector: { app: none }, ports: [{ port: 80 }] }
        """, file: "t.yaml").topology)
        let live = LabRenderer(topology: topology).render()
        #expect(live.nftRecords.isEmpty)
        let assignments = LiveAssignmentsReader.assignments(in: live, cluster: "lab")
        // idle has no endpoints: its element goes to the reject chain and names no service.
        #expect(assignments.clusterIPs == ["web": IPv4Address("10.96.0.9")!, "api": IPv4Address("10.96.0.1")!])
    }

    @Test func addingAPodFirstRenumbersNobody() throws {
        let before = """
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0 }, { name: a1, node: node-0 }]
        """
        let live = LabRenderer(topology: try #require(TopologyLoader.load(text: before, file: "t").topology)).render()
        let after = before.replacingOccurrences(of: "pods: [", with: "pods: [{ name: new, node: node-0 }, ")
        let assignments = LiveAssignmentsReader.assignments(in: live, cluster: "lab")
        let topology = try #require(TopologyLoader.load(text: after, file: "t", live: assignments).topology)
        #expect(topology.pod(named: "a0")?.ip == IPv4Address("10.200.0.2"))
        #expect(topology.pod(named: "a1")?.ip == IPv4Address("10.200.0.3"))
        #expect(topology.pod(named: "new")?.ip == IPv4Address("10.200.0.4"))
    }
}
