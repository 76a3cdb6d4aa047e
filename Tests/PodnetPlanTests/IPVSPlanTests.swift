import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// proxy.mode ipvs through the planner: IPVS changes are operations like any other,
/// ordered after everything they rely on, and minimal.
@Suite struct IPVSPlanTests {
    /// Two nodes, service web over a0 and b, and a service without endpoints
    /// (IPVSDiffTests uses it too).
    static let topology = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    proxy: { mode: ipvs }
    network: { backend: host-gw }
    nodes: [{ name: node-0, bridge: br0 }, { name: node-1, bridge: br1 }]
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: a1, node: node-0 }
      - { name: b, node: node-1, labels: { app: web } }
    services:
      - { name: web, clusterIP: 10.96.0.2, selector: { app: web }, ports: [{ port: 8080 }] }
      - { name: empty, clusterIP: 10.96.0.3, selector: { app: none }, ports: [{ port: 80 }] }
    """

    @Test func fromNothingTheServicesComeLastAndConverge() throws {
        let desired = try desiredState(Self.topology)
        let plan = try Planner(cluster: "lab").plan(desired: desired, live: KernelState())
        let ipvs = plan.operations.filter { if case .ipvs = $0.operation { return true } else { return false } }
        // Two nodes, each: two services, web's two real servers.
        #expect(ipvs.count == 8)
        #expect(plan.operations.suffix(8) == ipvs)
        let commands = CommandRenderer.commands(for: Plan(operations: ipvs))
        #expect(commands.prefix(4) == [
            "ip netns exec lab.node-0 ipvsadm -A -t 10.96.0.2:8080 -s rr",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:8080 -r 10.200.1.2:8080 -m",
            "ip netns exec lab.node-0 ipvsadm -A -t 10.96.0.3:80 -s rr",
        ])
        #expect(ipvs.map(\.operation.action) == Array(repeating: "create", count: 8))
        #expect(ipvs.first?.operation.subject == "ipvs service TCP 10.96.0.2:8080 in lab.node-0")
        let after = applied(plan, to: KernelState())
        #expect(differences(after, desired).isEmpty)
        #expect(try Planner(cluster: "lab").plan(desired: desired, live: after).isEmpty)
        // kube-ipvs0 is a link like the others, before its addresses.
        let dummy = plan.operations.firstIndex { if case .addLink(let link, _) = $0.operation { return link.kind == .dummy } else { return false } }
        let address = plan.operations.firstIndex { if case .addAddress(let a) = $0.operation { return a.link.name == "kube-ipvs0" } else { return false } }
        #expect(try #require(dummy) < #require(address))
    }

    @Test func anEndpointLeavingIsOneRealServerAndOneHairpinElementOnItsNode() throws {
        let live = applied(try Planner(cluster: "lab").plan(desired: try desiredState(Self.topology), live: KernelState()), to: KernelState())
        let changed = Self.topology.replacingOccurrences(of: "selector: { app: web }", with: "endpoints: [b]")
        let plan = try Planner(cluster: "lab").plan(desired: try desiredState(changed), live: live)
        // IPVS deletions first (layer 0), before anything that shows they are podnet's.
        #expect(CommandRenderer.commands(for: plan) == [
            "ip netns exec lab.node-0 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.0.2:8080",
            "ip netns exec lab.node-1 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.0.2:8080",
            "ip netns exec lab.node-0 nft delete element ip podnet-lab hairpin { 10.200.0.2 . tcp . 8080 . 10.200.0.2 }",
        ])
        #expect(plan.operations.map(\.reason).prefix(2) == ["not an endpoint in the topology", "not an endpoint in the topology"])
        #expect(plan.summary == Plan.Summary(create: 0, update: 0, delete: 3))
    }

    @Test func aChangedWeightIsAnEditAndAForeignServiceIsLeftAlone() throws {
        var live = applied(try Planner(cluster: "lab").plan(desired: try desiredState(Self.topology), live: KernelState()), to: KernelState())
        let id = IPVSService.ID(namespace: .named("lab.node-1"), protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080)
        var service = try #require(live.ipvsServices[id])
        service.setDestinations(service.destinations.map { var d = $0; d.weight = 3; return d })
        live.insert(service)
        let plan = try Planner(cluster: "lab").plan(desired: try desiredState(Self.topology), live: live)
        #expect(plan.operations.map(\.reason) == ["weight 3 → 1", "weight 3 → 1"])
        #expect(plan.summary.update == 2)
    }

    @Test func servicesInADeletedNamespaceGoWithIt() throws {
        let live = applied(try Planner(cluster: "lab").plan(desired: try desiredState(Self.topology), live: KernelState()), to: KernelState())
        let plan = try Planner(cluster: "lab").plan(desired: KernelState(), live: live)
        #expect(!plan.operations.contains { if case .ipvs = $0.operation { return true } else { return false } })
        #expect(applied(plan, to: live).ipvsServices.isEmpty)
    }

    @Test func aForeignServiceInTheWayIsAConflictThatNamesIt() throws {
        var live = KernelState()
        let id = IPVSService.ID(namespace: .named("lab.node-0"), protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080)
        live.foreignIPVSServices = [id]
        #expect {
            try Planner(cluster: "lab").plan(desired: try desiredState(Self.topology), live: live)
        } throws: { error in
            "\(error)".contains("IPVS service TCP 10.96.0.2:8080 in lab.node-0 exists but is not podnet's")
                && "\(error)".contains("ip netns exec lab.node-0 ipvsadm -D -t 10.96.0.2:8080")
        }
    }

    @Test func hostModeSetsNoHostWideARPSysctls() throws {
        let topology = try #require(TopologyLoader.load(text: Self.topology, file: "t.yaml").topology)
        let host = HostRenderer(topology: topology, node: topology.nodes[0], uplink: "eth0").render()
        #expect(host.sysctls.keys.contains { $0.key == "net.ipv4.vs.conntrack" })
        #expect(!host.sysctls.keys.contains { $0.key.contains("arp_") })
        #expect(try desiredState(Self.topology).sysctls.keys.contains { $0.key == "net.ipv4.conf.all.arp_ignore" })
    }

    @Test func hostModeDestroyDeletesEachService() throws {
        var live = KernelState()
        let id = IPVSService.ID(namespace: .current, protocol: .udp, address: IPv4Address(10, 96, 0, 10), port: 53)
        live.insert(IPVSService(id: id, destinations: [IPVSDestination(address: IPv4Address(10, 200, 0, 5), port: 53)]))
        let plan = try Planner(cluster: "lab").plan(desired: KernelState(), live: live)
        #expect(CommandRenderer.commands(for: plan) == ["ipvsadm -D -u 10.96.0.10:53"])
        #expect(plan.operations.first?.operation.isDeletion == true)
    }
}
