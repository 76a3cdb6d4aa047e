import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// proxy.mode ipvs in a dual-stack cluster through the planner: each ClusterIP of
/// the service is one virtual server, the IPv6 one printed as ipvsadm takes it
/// (`[fd00:96::1]:8080`), and IPv6 real servers likewise.
@Suite struct IPVSDualStackPlanTests {
    static let topology = """
    name: lab
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    proxy: { mode: ipvs }
    network: { backend: vxlan, vxlan: { vni: 1, discovery: static } }
    nodes: [{ name: node-0 }, { name: node-1 }]
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: b, node: node-1, labels: { app: web } }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 8080 }] }
    """

    static func ipvsCommands(_ plan: Plan) -> [String] {
        CommandRenderer.commands(for: Plan(operations: plan.operations.filter {
            if case .ipvs = $0.operation { return true } else { return false }
        }))
    }

    @Test func fromNothingEachFamilyHasItsVirtualServerAndConverges() throws {
        let desired = try desiredState(Self.topology)
        let plan = try Planner(cluster: "lab").plan(desired: desired, live: KernelState())
        #expect(Self.ipvsCommands(plan).filter { $0.hasPrefix("ip netns exec lab.node-0 ") } == [
            "ip netns exec lab.node-0 ipvsadm -A -t 10.96.0.1:8080 -s rr",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.1:8080 -r 10.200.0.2:8080 -m",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.1:8080 -r 10.200.1.2:8080 -m",
            "ip netns exec lab.node-0 ipvsadm -A -t [fd00:96::1]:8080 -s rr",
            "ip netns exec lab.node-0 ipvsadm -a -t [fd00:96::1]:8080 -r [fd00:200::2]:8080 -m",
            "ip netns exec lab.node-0 ipvsadm -a -t [fd00:96::1]:8080 -r [fd00:200:0:1::2]:8080 -m",
        ])
        let commands = CommandRenderer.commands(for: plan)
        #expect(commands.contains("ip -n lab.node-0 -6 addr add fd00:96::1/128 dev kube-ipvs0 nodad"), "\(commands.filter { $0.contains("kube-ipvs0") })")
        #expect(commands.contains { $0.hasPrefix("ip netns exec lab.node-0 nft 'add table ip6 podnet-lab ") }, "\(commands.filter { $0.contains("table") })")
        let after = applied(plan, to: KernelState())
        #expect(differences(after, desired).isEmpty)
        #expect(try Planner(cluster: "lab").plan(desired: desired, live: after).isEmpty)
    }

    @Test func anIPv6EndpointLeavingIsOneIPv6RealServerAndOneIPv6HairpinElement() throws {
        let live = applied(try Planner(cluster: "lab").plan(desired: try desiredState(Self.topology), live: KernelState()), to: KernelState())
        let changed = Self.topology.replacingOccurrences(of: "selector: { app: web }", with: "endpoints: [b]")
        let commands = CommandRenderer.commands(for: try Planner(cluster: "lab").plan(desired: try desiredState(changed), live: live))
        #expect(commands.contains("ip netns exec lab.node-0 ipvsadm -d -t [fd00:96::1]:8080 -r [fd00:200::2]:8080"), "\(commands)")
        #expect(commands.contains("ip netns exec lab.node-0 nft delete element ip6 podnet-lab hairpin { fd00:200::2 . tcp . 8080 . fd00:200::2 }"),
                "\(commands)")
        #expect(commands.count == 6, "\(commands)")
    }

    @Test func ownershipTakesEitherFamilysServiceCIDR() {
        let mine = OwnershipMark(cluster: "lab", role: "node/node-0")
        let ownership = IPVSOwnership(cluster: "lab", serviceCIDRs: [IPPrefix("10.96.0.0/12")!, IPPrefix("fd00:96::/112")!], held: [
            .init(address: IPAddress("fd00:96::1")!, device: "kube-ipvs0", deviceMark: mine),
            .init(address: IPAddress("fd00:96::7")!, device: "kube-ipvs0", deviceMark: nil),
        ])
        #expect(ownership.owns(IPAddress("fd00:96::1")!, port: 8080))
        #expect(ownership.owns(IPAddress("fd00:96::9")!, port: 8080))
        // Another owner's kube-ipvs0 holds it: kube-proxy's, whatever the CIDR says.
        #expect(!ownership.owns(IPAddress("fd00:96::7")!, port: 8080))
        #expect(!ownership.owns(IPAddress("fd00:97::1")!, port: 8080))
        #expect(ownership.owns(IPv4Address(10, 96, 0, 9), port: 80))
        // An IPv4-only file's reader knows no IPv6 CIDR: only its kube-ipvs0 vouches.
        let ipv4Only = IPVSOwnership(cluster: "lab", serviceCIDR: IPv4Prefix("10.96.0.0/12")!, held: [
            .init(address: IPAddress("fd00:96::1")!, device: "kube-ipvs0", deviceMark: mine),
        ])
        #expect(ipv4Only.owns(IPAddress("fd00:96::1")!, port: 8080))
        #expect(!ipv4Only.owns(IPAddress("fd00:96::9")!, port: 8080))
    }

    @Test func ipv6ChangesAsIpvsadmLines() {
        let id = IPVSService.ID(namespace: .current, protocol: .udp, address: IPAddress("fd00:96::a")!, port: 53)
        let destination = IPVSDestination(address: IPAddress("fd00:200::5")!, port: 5353, weight: 2)
        #expect(IPVSCommandRenderer.commands(for: [.addService(IPVSService(id: id)), .addDestination(id, destination),
                                                   .deleteDestination(id, destination.id), .deleteService(id)]) == [
            "ipvsadm -A -u [fd00:96::a]:53 -s rr",
            "ipvsadm -a -u [fd00:96::a]:53 -r [fd00:200::5]:5353 -m -w 2",
            "ipvsadm -d -u [fd00:96::a]:53 -r [fd00:200::5]:5353",
            "ipvsadm -D -u [fd00:96::a]:53",
        ])
        #expect(id.description == "UDP [fd00:96::a]:53")
    }
}
