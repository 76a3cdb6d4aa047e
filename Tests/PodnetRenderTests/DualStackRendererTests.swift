import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// Dual stack in the lab and host renderers: each family's addresses, default
/// routes and cross-node objects beside the other's, from the same code; nothing
/// IPv6 in an IPv4-only cluster.
@Suite struct DualStackRendererTests {
    static func text(_ network: String, underlay: Bool = true) -> String {
        """
        name: ds
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        \(underlay ? "underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }" : "")
        network: \(network)
        nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]
        pods: [{ name: a0, node: node-0 }, { name: b, node: node-1 }]
        """
    }

    func render(_ text: String) throws -> (Topology, KernelState) {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return (topology, LabRenderer(topology: topology).render())
    }

    let node0 = NamespaceRef.named("ds.node-0")
    let a0 = NamespaceRef.named("ds.a0")

    func routes(in namespace: NamespaceRef, _ state: KernelState, family: AddressFamily) -> [Route] {
        state.routes.values.filter { $0.id.namespace == namespace && $0.family == family }.sorted { $0.id < $1.id }
    }

    @Test func podsAndBridgesHoldAnAddressOfEachFamilyAndADefaultRouteInEach() throws {
        let (_, state) = try render(Self.text("{ backend: host-gw }"))
        let eth0 = Link.ID(a0, "eth0")
        #expect(state.addresses.filter { $0.link == eth0 }.map(\.address).sorted() == [IPPrefix("10.200.0.2/24")!, IPPrefix("fd00:200::2/64")!])
        #expect(state.addresses.filter { $0.link == Link.ID(node0, "cni0") }.map(\.address).sorted()
                == [IPPrefix("10.200.0.1/24")!, IPPrefix("fd00:200::1/64")!])
        #expect(state.addresses.filter { $0.link == Link.ID(node0, "eth0") }.map(\.address).sorted()
                == [IPPrefix("192.168.64.4/24")!, IPPrefix("fd00:64::4/64")!])
        let v6 = try #require(state.routes[.init(namespace: a0, destination: .everything(.ipv6))])
        #expect(v6.gateway == IPAddress("fd00:200::1") && v6.device == "eth0" && !v6.onlink)
        #expect(state.routes[.init(namespace: a0, destination: .everything(.ipv4))]?.gateway == IPAddress("10.200.0.1"))
        for (key, value) in [("net.ipv4.ip_forward", "1"), ("net.ipv6.conf.all.forwarding", "1"),
                             ("net.ipv6.conf.all.accept_dad", "0"), ("net.ipv6.conf.default.accept_dad", "0")] {
            #expect(state.sysctls[.init(namespace: node0, key: key)]?.value == value, "\(key)")
        }
        // Pods are not routers: DAD stays as the kernel has it there.
        #expect(!state.sysctls.keys.contains { $0.namespace == a0 })
    }

    @Test func hostGatewayRoutesEachFamilyViaTheNodesAddressOfThatFamily() throws {
        let (_, state) = try render(Self.text("{ backend: host-gw }"))
        #expect(routes(in: node0, state, family: .ipv6).map { "\($0.id.destination) via \($0.gateway!) dev \($0.device!)" }
                == ["fd00:200:0:1::/64 via fd00:64::5 dev eth0", "fd00:200:0:2::/64 via fd00:64::6 dev eth0"])
        #expect(routes(in: node0, state, family: .ipv4).map { "\($0.id.destination) via \($0.gateway!)" }
                == ["10.200.1.0/24 via 192.168.64.5", "10.200.2.0/24 via 192.168.64.6"])
    }

    @Test func staticVXLANSendsBothFamiliesEndpointsToOneMACAndOneFDBEntry() throws {
        let (_, state) = try render(Self.text("{ backend: vxlan, vxlan: { discovery: static } }", underlay: false))
        let vxlan0 = Link.ID(node0, "vxlan0")
        #expect(routes(in: node0, state, family: .ipv6).map { "\($0.id.destination) via \($0.gateway!) dev \($0.device!) onlink \($0.onlink)" }
                == ["fd00:200:0:1::/64 via fd00:200:0:1:: dev vxlan0 onlink true", "fd00:200:0:2::/64 via fd00:200:0:2:: dev vxlan0 onlink true"])
        let node1MAC = KernelNames.vtepMAC(cluster: "ds", node: "node-1")
        #expect(state.neighbours[.init(link: vxlan0, address: IPAddress("fd00:200:0:1::")!)]?.mac == node1MAC)
        #expect(state.neighbours[.init(link: vxlan0, address: IPAddress("10.200.1.0")!)]?.mac == node1MAC)
        let fdb = state.fdb.filter { $0.link == vxlan0 }
        #expect(fdb.count == 2 && fdb.allSatisfy { $0.destination.family == .ipv4 }, "\(fdb)")
        // The device holds its IPv4 endpoint only (see CrossNodeRenderer).
        #expect(state.addresses.filter { $0.link == vxlan0 }.map(\.address).sorted() == [IPPrefix("10.200.0.0/32")!])
        // No IPv6 underlay: the nodes' eth0 has its IPv4 address only.
        #expect(state.addresses.filter { $0.link == Link.ID(node0, "eth0") }.map(\.family) == [.ipv4])
    }

    @Test func multicastVXLANRoutesEachFamilysClusterCIDROntoTheBridge() throws {
        let (_, state) = try render(Self.text("{ backend: vxlan, vxlan: { discovery: multicast, group: 239.1.1.1 } }", underlay: false))
        let onBridge = state.routes.values.filter { $0.id.namespace == node0 && $0.device == "cni0" }.map(\.id.destination).sorted()
        #expect(onBridge == [IPPrefix("10.200.0.0/16")!, IPPrefix("fd00:200::/48")!])
        #expect(state.neighbours.isEmpty && state.fdb.isEmpty)
    }

    /// IP-in-IP carries IPv4 only: IPv6 pods get a sit (6in4) tunnel beside ipip0,
    /// routes via each remote node's IPv4-compatible address (sit's outer destination;
    /// ::192.168.64.5, printed in RFC 5952's hexadecimal form).
    @Test func ipipAddsASitTunnelForTheIPv6Pods() throws {
        let (_, state) = try render(Self.text("{ backend: ipip }", underlay: false))
        let sit = try #require(state.links[.init(node0, "sit1")])
        #expect(sit.kind == .sit(IPIPDevice(local: IPv4Address("192.168.64.4"), device: "eth0")))
        #expect(sit.mtu == 1480)
        #expect(state.links[.init(node0, "ipip0")] != nil)
        #expect(routes(in: node0, state, family: .ipv6).map { "\($0.id.destination) via \($0.gateway!) dev \($0.device!) onlink \($0.onlink)" }
                == ["fd00:200:0:1::/64 via ::c0a8:4005 dev sit1 onlink true", "fd00:200:0:2::/64 via ::c0a8:4006 dev sit1 onlink true"])
        #expect(routes(in: node0, state, family: .ipv4).allSatisfy { $0.device == "ipip0" })
        #expect(state.addresses.filter { $0.link == sit.id }.isEmpty)
        // IPv4-only ipip: no sit.
        let (_, v4) = try render("""
        name: v4
        clusterCIDR: 10.200.0.0/16
        network: { backend: ipip }
        nodes: [{ name: node-0 }, { name: node-1 }]
        """)
        #expect(!v4.links.values.contains { if case .sit = $0.kind { return true } else { return false } })
    }

    @Test func servicesAndPoliciesSendBridgedIPv6ThroughTheIPHooksAndRouteTheIPv6ServiceCIDR() throws {
        let text = Self.text("{ backend: host-gw }") + """

        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        proxy: { mode: iptables }
        services: [{ name: web, selector: { app: web }, ports: [{ port: 80 }] }]
        """
        let (_, state) = try render(text)
        #expect(state.sysctls[.init(namespace: node0, key: "net.bridge.bridge-nf-call-ip6tables")]?.value == "1")
        #expect(state.sysctls[.init(namespace: node0, key: "net.bridge.bridge-nf-call-iptables")]?.value == "1")
        let serviceRoute = try #require(state.routes[.init(namespace: node0, destination: IPPrefix("fd00:96::/112")!)])
        #expect(serviceRoute.device == "cni0" && serviceRoute.gateway == nil)
    }

    @Test func anIPv4OnlyClusterHasNoIPv6Object() throws {
        let (_, state) = try render("""
        name: v4
        clusterCIDR: 10.200.0.0/16
        network: { backend: vxlan }
        nodes: [{ name: node-0 }, { name: node-1 }]
        pods: [{ name: a0, node: node-0 }]
        """)
        #expect(state.addresses.allSatisfy { $0.family == .ipv4 })
        #expect(state.routes.values.allSatisfy { $0.family == .ipv4 })
        #expect(state.neighbours.keys.allSatisfy { $0.address.family == .ipv4 })
        #expect(!state.sysctls.keys.contains { $0.key.contains("ipv6") })
    }

    @Test func hostModeLeavesTheHostsDADAlone() throws {
        let topology = try #require(TopologyLoader.load(text: Self.text("{ backend: host-gw }"), file: "t.yaml").topology)
        let state = HostRenderer(topology: topology, node: try #require(topology.node(named: "node-0")), uplink: "ens3").render()
        #expect(state.sysctls[.init(namespace: .current, key: "net.ipv6.conf.all.forwarding")]?.value == "1")
        #expect(!state.sysctls.keys.contains { $0.key.contains("accept_dad") })
        let routes = state.routes.values.filter { $0.id.namespace == .current && $0.family == .ipv6 }
        #expect(routes.count == 2 && routes.allSatisfy { $0.device == "ens3" && $0.protocol == Route.protocolPodnet })
    }
}
