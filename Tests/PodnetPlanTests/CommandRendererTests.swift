import PodnetAddress
import PodnetKernelModel
@testable import PodnetPlan
import PodnetRender
import Testing

@Suite struct CommandRendererTests {
    @Test func coldPlanReadsLikeSeed003() throws {
        let desired = try desiredState("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        network: { backend: host-gw }
        nodes: [{ name: node-0, bridge: br0 }, { name: node-1, bridge: br1 }]
        pods: [{ name: a0, node: node-0 }]
        """)
        let plan = try Planner(cluster: "lab").plan(desired: desired, live: KernelState())
        let commands = CommandRenderer.commands(for: plan)
        let host = KernelNames.peerEnd(of: "a0")
        #expect(commands.contains("ip netns add lab.a0"))
        #expect(commands.contains("ip -n lab.node-0 link add br0 mtu 1500 address \(KernelNames.bridgeMAC(cluster: "lab", namespace: "node-0", bridge: "br0")) type bridge"))
        #expect(commands.contains("ip -n lab.node-0 link add \(host) mtu 1500 master br0 type veth peer name eth0 netns lab.a0 mtu 1500"))
        #expect(commands.contains("ip -n lab.node-0 link set \(host) type bridge_slave hairpin on"))
        #expect(commands.contains("ip -n lab.node-0 link property add dev \(host) altname pod-a0"))
        #expect(commands.contains("ip -n lab.a0 link set eth0 up alias podnet:lab:pod/a0"))
        #expect(commands.contains("ip -n lab.node-0 addr add 10.200.0.1/24 dev br0"))
        #expect(commands.contains("ip -n lab.a0 route add default via 10.200.0.1 dev eth0"))
        #expect(commands.contains("ip -n lab.node-0 route add 10.200.1.0/24 via 192.168.64.5 dev eth0"))
        #expect(commands.contains("ip netns exec lab.node-0 sysctl -qw net.ipv4.ip_forward=1"))
        // A namespace exists before anything is created in it.
        let namespaceLine = try #require(commands.firstIndex(of: "ip netns add lab.a0"))
        let vethLine = try #require(commands.firstIndex { $0.hasPrefix("ip -n lab.node-0 link add \(host)") })
        #expect(namespaceLine < vethLine)
    }

    @Test func updatesSayOnlyWhatChanges() {
        let id = Link.ID(.named("lab.node-0"), "br0")
        var current = Link(id: id, kind: .bridge, mtu: 9000, up: false)
        current.mark = OwnershipMark(cluster: "lab", role: "node/node-0")
        var desired = current
        desired.mtu = 1500
        desired.up = true
        #expect(CommandRenderer.commands(for: .setLink(desired, current: current)) == ["ip -n lab.node-0 link set br0 up mtu 1500"])
    }
}

@Suite struct DualStackCommandTests {
    /// IPv6 objects in seed 003's words with `-6` (iproute2 cannot tell the family of
    /// `default`), addresses `nodad`; IPv4 lines as they always were.
    @Test func ipv6ObjectsReadAsIPMinus6Commands() throws {
        let desired = try desiredState("""
        name: ds
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        network: { backend: vxlan, vxlan: { discovery: static } }
        nodes: [{ name: node-0 }, { name: node-1 }]
        pods: [{ name: a0, node: node-0 }]
        """)
        let plan = try Planner(cluster: "ds").plan(desired: desired, live: KernelState())
        let commands = CommandRenderer.commands(for: plan)
        let mac = KernelNames.vtepMAC(cluster: "ds", node: "node-1")
        for expected in [
            "ip -n ds.a0 -6 addr add fd00:200::2/64 dev eth0 nodad",
            "ip -n ds.a0 -6 route add default via fd00:200::1 dev eth0",
            "ip -n ds.a0 route add default via 10.200.0.1 dev eth0",
            "ip -n ds.node-0 -6 route add fd00:200:0:1::/64 via fd00:200:0:1:: dev vxlan0 onlink",
            "ip -n ds.node-0 -6 neigh add fd00:200:0:1:: lladdr \(mac) dev vxlan0 nud permanent",
            "ip -n ds.node-0 neigh add 10.200.1.0 lladdr \(mac) dev vxlan0 nud permanent",
            "ip netns exec ds.node-0 sysctl -qw net.ipv6.conf.all.forwarding=1",
        ] {
            #expect(commands.contains(expected), "\(expected)")
        }
        let sit = Link(id: .init(.named("ds.node-0"), "sit1"), kind: .sit(IPIPDevice(local: IPv4Address("192.168.64.4"), device: "eth0")),
                       mtu: 1480, up: true)
        #expect(CommandRenderer.commands(for: .addLink(sit, peer: nil)).first
                == "ip -n ds.node-0 link add sit1 mtu 1480 type sit mode ip6ip local 192.168.64.4 dev eth0")
        let deletion = CommandRenderer.commands(for: .deleteRoute(Route(id: .init(namespace: .named("ds.a0"), destination: .everything(.ipv6)))))
        #expect(deletion == ["ip -n ds.a0 -6 route del default"])
        let addressDeletion = CommandRenderer.commands(for: .deleteAddress(Address(link: .init(.named("ds.a0"), "eth0"), address: IPPrefix("fd00:200::2/64")!)))
        #expect(addressDeletion == ["ip -n ds.a0 -6 addr del fd00:200::2/64 dev eth0"])
    }

    /// Deleting an IPv6 address leaves the routes via gateways on its prefix (the
    /// kernel keeps them, measured with ip), unlike IPv4's.
    @Test func theSimulatorKeepsIPv6RoutesWhenTheirPrefixsAddressGoes() throws {
        let link = Link.ID(.named("x"), "eth0")
        var state = KernelState()
        state.insert(Address(link: link, address: IPPrefix("fd00:1::2/64")!))
        state.insert(Address(link: link, address: IPPrefix("10.0.0.2/24")!))
        let v6 = Route(id: .init(namespace: .named("x"), destination: .everything(.ipv6)), gateway: IPAddress("fd00:1::1"), device: "eth0")
        let v4 = Route(id: .init(namespace: .named("x"), destination: .everything(.ipv4)), gateway: IPAddress("10.0.0.1"), device: "eth0")
        state.insert(v6)
        state.insert(v4)
        PlanSimulator.apply(.deleteAddress(Address(link: link, address: IPPrefix("fd00:1::2/64")!)), to: &state)
        PlanSimulator.apply(.deleteAddress(Address(link: link, address: IPPrefix("10.0.0.2/24")!)), to: &state)
        #expect(state.routes[v6.id] == v6)
        #expect(state.routes[v4.id] == nil)
    }
}
