import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// Host mode: the node is the current namespace; only its own objects and pods.
@Suite struct HostRendererTests {
    static let text = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    network: { backend: vxlan }
    nodes:
      - { name: node-0, interface: ens3 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0 }
      - { name: b0, node: node-1 }
    """

    func render(node: String) throws -> KernelState {
        let topology = try #require(TopologyLoader.load(text: Self.text, file: "t.yaml").topology)
        return HostRenderer(topology: topology, node: try #require(topology.node(named: node)), uplink: "ens3").render()
    }

    @Test func theNodeIsTheCurrentNamespaceWithoutAnUnderlay() throws {
        let state = try render(node: "node-0")
        #expect(state.namespaces.keys.sorted() == ["lab.a0"])
        #expect(state.links[.init(.current, "cni0")]?.kind == .bridge)
        #expect(state.links[.init(.current, "ens3")] == nil, "the uplink is never podnet's")
        let vxlan = try #require(state.links[.init(.current, "vxlan0")])
        #expect(vxlan.kind == .vxlan(VXLANDevice(vni: 1, port: 4789, local: IPAddress("192.168.64.4"), group: nil,
                                                 device: "ens3", learning: false)))
        #expect(state.sysctls[.init(namespace: .current, key: "net.ipv4.ip_forward")]?.value == "1")
    }

    @Test func routesOnTheHostCarryPodnetsProtocolAndPodsTheirHostMark() throws {
        let state = try render(node: "node-0")
        let hostRoutes = state.routes.values.filter { $0.id.namespace == .current }
        #expect(hostRoutes.count == 1)
        #expect(hostRoutes.allSatisfy { $0.protocol == Route.protocolPodnet })
        let hostEnd = Link.ID(.current, KernelNames.peerEnd(of: "a0"))
        #expect(state.links[hostEnd]?.master == "cni0")
        #expect(state.namespaces["lab.a0"]?.mark.role == "pod/a0@node-0")
        #expect(HostRenderer.role("pod/a0@node-0", isOfNode: "node-0"))
        #expect(!HostRenderer.role("pod/a0@node-0", isOfNode: "node-1"))
    }

    @Test func anotherHostRendersItsOwnPodsOnly() throws {
        let state = try render(node: "node-1")
        #expect(state.namespaces.keys.sorted() == ["lab.b0"])
    }
}
