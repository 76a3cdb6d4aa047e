import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// The backends of seed 003 §4: what each node holds to reach the others' pods.
@Suite struct CrossNodeRendererTests {
    func render(_ text: String) throws -> KernelState {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return LabRenderer(topology: topology).render()
    }

    func cluster(_ network: String, nodes: Int = 3) -> String {
        """
        name: lab
        clusterCIDR: 10.200.0.0/16
        network: \(network)
        nodes:
        \((0..<nodes).map { "  - { name: node-\($0) }" }.joined(separator: "\n"))
        pods:
          - { name: a0, node: node-0 }
        """
    }

    let node0 = NamespaceRef.named("lab.node-0")

    func objects(in namespace: NamespaceRef, of state: KernelState) -> (links: [PodnetKernelModel.Link], routes: [Route], neighbours: [Neighbour], fdb: [FDBEntry.ID]) {
        (state.links.values.filter { $0.id.namespace == namespace }.sorted { $0.id < $1.id },
         state.routes.values.filter { $0.id.namespace == namespace }.sorted { $0.id < $1.id },
         state.neighbours.values.filter { $0.id.link.namespace == namespace }.sorted { $0.id < $1.id },
         state.fdb.filter { $0.link.namespace == namespace }.sorted())
    }

    @Test func staticVXLANHasOneRouteNeighbourAndFDBEntryPerRemoteNode() throws {
        let state = try render(cluster("{ backend: vxlan, vxlan: { vni: 7, port: 8472 } }"))
        let device = Link.ID(node0, "vxlan0")
        let vxlan = try #require(state.links[device])
        #expect(vxlan.kind == .vxlan(VXLANDevice(vni: 7, port: 8472, local: IPAddress("192.168.64.4"), group: nil,
                                                 device: "eth0", learning: false)))
        #expect(vxlan.mtu == 1450)
        #expect(vxlan.master == nil)
        #expect(vxlan.mac == KernelNames.vtepMAC(cluster: "lab", node: "node-0"))
        #expect(state.addresses.contains(Address(link: device, address: IPv4Prefix("10.200.0.0/32")!)))

        let mine = objects(in: node0, of: state)
        #expect(mine.routes.map(\.id.destination.description) == ["10.200.1.0/24", "10.200.2.0/24"])
        let toNode1 = mine.routes[0]
        #expect(toNode1.gateway == IPAddress("10.200.1.0") && toNode1.device == "vxlan0" && toNode1.onlink)
        let node1MAC = KernelNames.vtepMAC(cluster: "lab", node: "node-1")
        #expect(mine.neighbours.map(\.id.address) == [IPAddress("10.200.1.0")!, IPAddress("10.200.2.0")!])
        #expect(mine.neighbours[0].mac == node1MAC)
        #expect(mine.fdb.contains(FDBEntry.ID(link: device, mac: node1MAC, destination: IPv4Address("192.168.64.5")!)))
        #expect(mine.fdb.count == 2)
    }

    @Test func addingANodeAddsExactlyThreeEntriesToEachOtherNode() throws {
        let before = try render(cluster("{ backend: vxlan }", nodes: 3))
        let after = try render(cluster("{ backend: vxlan }", nodes: 4))
        for index in 0..<3 {
            let namespace = NamespaceRef.named("lab.node-\(index)")
            let (linksBefore, routesBefore, neighboursBefore, fdbBefore) = objects(in: namespace, of: before)
            let (linksAfter, routesAfter, neighboursAfter, fdbAfter) = objects(in: namespace, of: after)
            #expect(linksBefore == linksAfter)
            #expect(Set(routesAfter).subtracting(routesBefore).count == 1 && Set(routesBefore).isSubset(of: routesAfter))
            #expect(Set(neighboursAfter).subtracting(neighboursBefore).count == 1 && Set(neighboursBefore).isSubset(of: neighboursAfter))
            #expect(Set(fdbAfter).subtracting(fdbBefore).count == 1 && Set(fdbBefore).isSubset(of: fdbAfter))
        }
    }

    @Test func multicastVXLANIsABridgePortWithOneClusterRoute() throws {
        let state = try render(cluster("{ backend: vxlan, vxlan: { vni: 100, discovery: multicast, group: 239.1.1.1 } }"))
        let vxlan = try #require(state.links[.init(node0, "vxlan0")])
        #expect(vxlan.kind == .vxlan(VXLANDevice(vni: 100, port: 4789, local: IPAddress("192.168.64.4"),
                                                 group: IPv4Address("239.1.1.1"), device: "eth0", learning: true)))
        #expect(vxlan.master == "cni0")
        #expect(vxlan.mac == nil)
        let mine = objects(in: node0, of: state)
        #expect(mine.routes.count == 1)
        #expect(mine.routes.first?.id.destination == IPPrefix("10.200.0.0/16"))
        #expect(mine.routes.first?.device == "cni0" && mine.routes.first?.gateway == nil)
        #expect(mine.neighbours.isEmpty && mine.fdb.isEmpty)
    }

    @Test func ipipIsATunnelWithOnlinkRoutesViaNodeAddresses() throws {
        let state = try render(cluster("{ backend: ipip }"))
        let tunnel = try #require(state.links[.init(node0, "ipip0")])
        #expect(tunnel.kind == .ipip(IPIPDevice(local: IPv4Address("192.168.64.4"), device: "eth0")))
        #expect(tunnel.mtu == 1480)
        #expect(state.addresses.contains(Address(link: tunnel.id, address: IPv4Prefix("10.200.0.1/32")!)))
        let mine = objects(in: node0, of: state)
        #expect(mine.routes.map(\.gateway) == [IPAddress("192.168.64.5"), IPAddress("192.168.64.6")])
        #expect(mine.routes.allSatisfy { $0.device == "ipip0" && $0.onlink })
        // The pods' MTU follows the tunnel's.
        #expect(state.links[.init(.named("lab.a0"), "eth0")]?.mtu == 1480)
    }

    @Test(arguments: ["{ backend: vxlan }", "{ backend: ipip }", "{ backend: host-gw }"])
    func aSingleNodeClusterHasNoCrossNodeObjects(network: String) throws {
        let state = try render(cluster(network, nodes: 1))
        let mine = objects(in: node0, of: state)
        #expect(mine.links.map(\.id.name).sorted() == ["cni0", "eth0", "lo", KernelNames.peerEnd(of: "a0")].sorted())
        #expect(mine.routes.isEmpty && mine.neighbours.isEmpty && mine.fdb.isEmpty)
    }

    @Test func bridgesHaveAPinnedMACAndSendNoRedirects() throws {
        let state = try render(cluster("{ backend: host-gw }"))
        #expect(state.links[.init(node0, "cni0")]?.mac == KernelNames.bridgeMAC(cluster: "lab", namespace: "node-0", bridge: "cni0"))
        #expect(state.links[.init(.named("lab.underlay"), "underlay")]?.mac != nil)
        #expect(state.sysctls[.init(namespace: node0, key: "net.ipv4.conf.all.send_redirects")]?.value == "0")
        let bridgeKey = Sysctl.ID(namespace: node0, key: "net/ipv4/conf/cni0/send_redirects")
        #expect(state.sysctls[bridgeKey]?.value == "0")
        #expect(state.sysctls[bridgeKey].map(\.isInterfaceSpecific) == true)
    }

    @Test func stableMACsAreLocalUnicastAndDifferWidely() {
        let a = KernelNames.vtepMAC(cluster: "lab", node: "node-1")
        let b = KernelNames.vtepMAC(cluster: "lab", node: "node-2")
        #expect(a == KernelNames.vtepMAC(cluster: "lab", node: "node-1"))
        #expect(a.bytes[0] == 0x0e)  // locally administered (bit 1), unicast (bit 0 clear)
        // Names differing in their last character share no byte after the first.
        #expect(zip(a.bytes.dropFirst(), b.bytes.dropFirst()).filter { $0 == $1 }.count <= 1)
        // 1,000 nodes of one cluster: no collision.
        let macs = Set((0..<1000).map { KernelNames.vtepMAC(cluster: "lab", node: "node-\($0)") })
        #expect(macs.count == 1000)
    }
}
