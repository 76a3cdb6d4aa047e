import PodnetAddress
import PodnetKernelModel
import PodnetPlan
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
