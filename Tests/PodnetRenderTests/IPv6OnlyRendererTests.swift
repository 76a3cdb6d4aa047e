import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// An IPv6-only cluster in every renderer: no IPv4 address, route, table, chain or
/// virtual server anywhere but the nodes' IPv4 underlay addresses (and VXLAN's
/// IPv4 outer packets); each IPv6 object as in a dual-stack cluster.
@Suite struct IPv6OnlyRendererTests {
    static func text(network: String = "{ backend: host-gw }", proxy: String = "nftables",
                     underlay: String = "[192.168.64.0/24, fd00:64::/64]") -> String {
        """
        name: v6
        clusterCIDR: fd00:200::/48
        serviceCIDR: fd00:96::/112
        underlay: { cidr: \(underlay) }
        network: \(network)
        proxy: { mode: \(proxy) }
        nodes: [{ name: node-0 }, { name: node-1 }]
        pods:
          - { name: a0, node: node-0, labels: { app: web } }
          - { name: b, node: node-1, labels: { app: web } }
        services: [{ name: web, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }], type: NodePort }]
        """
    }

    func render(_ text: String) throws -> KernelState {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return LabRenderer(topology: topology).render()
    }

    let node0 = NamespaceRef.named("v6.node-0")

    /// Every IPv4 address is a node's underlay one, on its eth0; no route is IPv4.
    func expectNoIPv4(_ state: KernelState, _ label: String) {
        let ipv4 = state.addresses.filter { $0.address.family == .ipv4 }
        #expect(ipv4.allSatisfy { $0.link.name == "eth0" && "\($0.link.namespace)".contains("node-") }, "\(label): \(ipv4)")
        #expect(ipv4.map(\.address).sorted() == [IPPrefix("192.168.64.4/24")!, IPPrefix("192.168.64.5/24")!], "\(label)")
        #expect(!state.routes.values.contains { $0.family == .ipv4 }, "\(label): \(state.routes.values.filter { $0.family == .ipv4 })")
        #expect(!state.nftTables.keys.contains { $0.family == .ip }, "\(label)")
        #expect(!state.iptablesChains.keys.contains { $0.family == .ipv4 }, "\(label)")
        #expect(!state.ipvsServices.keys.contains { $0.family == .ipv4 }, "\(label)")
        #expect(!state.sysctls.keys.contains { $0.key == "net.ipv4.ip_forward" }, "\(label)")
    }

    @Test(arguments: ["{ backend: host-gw }", "{ backend: vxlan, vxlan: { discovery: static } }",
                      "{ backend: vxlan, vxlan: { discovery: multicast, group: 239.1.1.1 } }", "{ backend: ipip }"])
    func nothingButTheUnderlayIsIPv4(network: String) throws {
        for proxy in ["nftables", "iptables", "ipvs"] {
            let state = try render(Self.text(network: network, proxy: proxy))
            expectNoIPv4(state, "\(network) \(proxy)")
            let a0 = try #require(state.addresses.first { $0.link == Link.ID(.named("v6.a0"), "eth0") })
            #expect(a0.address == IPPrefix("fd00:200::2/64")!)
            #expect(state.routes[.init(namespace: .named("v6.a0"), destination: .everything(.ipv6))]?.gateway == IPAddress("fd00:200::1"))
            #expect(state.sysctls[.init(namespace: node0, key: "net.ipv6.conf.all.forwarding")]?.value == "1")
        }
    }

    @Test func eachProxyModeServesTheIPv6ClusterIPAlone() throws {
        let nft = try render(Self.text())
        let table = try #require(nft.nftTables[NFTable.ID(namespace: node0, family: .ip6, name: "podnet-v6")])
        #expect(table.sets[NFTablesProxyNames.clusterIPs]?.elements.map(\.key) == [[.address(IPAddress("fd00:96::1")!)]])
        let ipt = try render(Self.text(proxy: "iptables"))
        #expect(ipt.iptablesChains.keys.contains { $0.namespace == node0 && $0.family == .ipv6 && $0.name == "KUBE-SERVICES" })
        let ipvs = try render(Self.text(proxy: "ipvs"))
        #expect(ipvs.ipvsServices.keys.filter { $0.namespace == node0 }.map(\.address).contains(IPAddress("fd00:96::1")!))
    }

    @Test func ipipCarriesTheIPv6PodsInSitAlone() throws {
        let state = try render(Self.text(network: "{ backend: ipip }"))
        #expect(state.links[Link.ID(node0, KernelNames.sitDevice)] != nil)
        #expect(state.links[Link.ID(node0, KernelNames.ipipDevice)] == nil)
        let route = try #require(state.routes[.init(namespace: node0, destination: IPPrefix("fd00:200:0:1::/64")!)])
        #expect(route.gateway == .v6(IPv6Address(ipv4Compatible: IPv4Address(192, 168, 64, 5))) && route.device == KernelNames.sitDevice)
    }

    /// Static VXLAN on an IPv4-only underlay: IPv4 outer packets (the FDB entry's
    /// destination, the device's local address), IPv6 routes and neighbours inside,
    /// and no IPv4 endpoint address on vxlan0.
    @Test func staticVXLANCarriesIPv6PodsOverAnIPv4Underlay() throws {
        let state = try render(Self.text(network: "{ backend: vxlan, vxlan: { discovery: static } }", underlay: "192.168.64.0/24"))
        let vxlan0 = Link.ID(node0, KernelNames.vxlanDevice)
        #expect(state.addresses.filter { $0.link == vxlan0 }.isEmpty)
        #expect(state.fdb.filter { $0.link == vxlan0 }.map(\.destination) == [IPAddress("192.168.64.5")!])
        let route = try #require(state.routes[.init(namespace: node0, destination: IPPrefix("fd00:200:0:1::/64")!)])
        #expect(route.gateway == IPAddress("fd00:200:0:1::") && route.onlink)
        #expect(state.neighbours[.init(link: vxlan0, address: IPAddress("fd00:200:0:1::")!)] != nil)
    }
}

/// An IPv6-only cluster on an IPv6-only underlay: nothing IPv4 at all; static VXLAN's
/// VTEPs talk over IPv6, its devices 20 bytes smaller for the outer IPv6 header.
@Suite struct IPv6OnlyUnderlayRendererTests {
    static func render(_ network: String) throws -> KernelState {
        let text = IPv6OnlyRendererTests.text(network: network, underlay: "fd00:64::/64")
        let result = TopologyLoader.load(text: text + "\nclients: [{ name: outside }]", file: "t.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return LabRenderer(topology: topology).render()
    }

    @Test(arguments: ["{ backend: host-gw }", "{ backend: vxlan, vxlan: { discovery: static } }"])
    func nothingIsIPv4(network: String) throws {
        let state = try Self.render(network)
        #expect(!state.addresses.contains { $0.address.family == .ipv4 }, "\(state.addresses.filter { $0.address.family == .ipv4 })")
        #expect(!state.routes.values.contains { $0.family == .ipv4 })
        #expect(!state.fdb.contains { $0.destination.family == .ipv4 })
        let node0 = NamespaceRef.named("v6.node-0")
        #expect(state.addresses.filter { $0.link == Link.ID(node0, "eth0") }.map(\.address) == [IPPrefix("fd00:64::4/64")!])
        #expect(state.addresses.contains { $0.link == Link.ID(.named("v6.outside"), "eth0") && $0.address == IPPrefix("fd00:64::6/64")! })
    }

    @Test func staticVXLANTalksOverIPv6() throws {
        let state = try Self.render("{ backend: vxlan, vxlan: { discovery: static } }")
        let node0 = NamespaceRef.named("v6.node-0")
        let vxlan0 = try #require(state.links[Link.ID(node0, KernelNames.vxlanDevice)])
        guard case .vxlan(let device) = vxlan0.kind else { Issue.record("\(vxlan0.kind)"); return }
        #expect(device.local == IPAddress("fd00:64::4"))
        #expect(vxlan0.mtu == 1430 && state.links[Link.ID(.named("v6.a0"), "eth0")]?.mtu == 1430)
        #expect(state.fdb.filter { $0.link == vxlan0.id }.map(\.destination) == [IPAddress("fd00:64::5")!])
    }
}
