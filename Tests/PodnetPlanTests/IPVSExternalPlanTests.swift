import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// Traffic from outside in ipvs mode through the planner: changing a service's type,
/// traffic policy, nodePort or affinity on a live cluster is the few IPVS requests
/// and set elements that differ, never a rebuild. IPVSPlanTests' two nodes, web over
/// a0 (node-0) and b (node-1).
@Suite struct IPVSExternalPlanTests {
    static func topology(_ change: (inout Service) -> Void = { _ in }) throws -> Topology {
        var topology = try #require(TopologyLoader.load(text: IPVSPlanTests.topology, file: "t.yaml").topology)
        change(&topology.services[0])
        return topology
    }

    static func nodePort(_ port: Int = 30080, _ policy: TrafficPolicy = .cluster) -> (inout Service) -> Void {
        { service in
            service.type = .nodePort
            service.ports[0].nodePort = port
            service.externalTrafficPolicy = policy
        }
    }

    /// The plan from `before` applied to `after`, as commands; and it converges.
    static func change(from before: Topology, to after: Topology, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let planner = Planner(cluster: "lab")
        let live = applied(try planner.plan(desired: LabRenderer(topology: before).render(), live: KernelState()), to: KernelState())
        let desired = LabRenderer(topology: after).render()
        let plan = try planner.plan(desired: desired, live: live)
        let converged = applied(plan, to: live)
        #expect(differences(converged, desired).isEmpty, sourceLocation: sourceLocation)
        #expect(try planner.plan(desired: desired, live: converged).isEmpty, sourceLocation: sourceLocation)
        return CommandRenderer.commands(for: plan)
    }

    @Test func clusterIPToNodePortIsOneVirtualServerPerNodeAndItsMasqueradeElement() throws {
        let before = try Self.topology()
        let after = try Self.topology(Self.nodePort())
        let (zero, one) = (after.nodes[0].address!, after.nodes[1].address!)
        // The mark comes first: the virtual server never takes traffic unmasqueraded.
        #expect(try Self.change(from: before, to: after) == [
            "ip netns exec lab.node-0 nft add element ip podnet-lab external-masquerade { \(zero) . tcp . 30080 }",
            "ip netns exec lab.node-1 nft add element ip podnet-lab external-masquerade { \(one) . tcp . 30080 }",
            "ip netns exec lab.node-0 ipvsadm -A -t \(zero):30080 -s rr",
            "ip netns exec lab.node-0 ipvsadm -a -t \(zero):30080 -r 10.200.0.2:8080 -m",
            "ip netns exec lab.node-0 ipvsadm -a -t \(zero):30080 -r 10.200.1.2:8080 -m",
            "ip netns exec lab.node-1 ipvsadm -A -t \(one):30080 -s rr",
            "ip netns exec lab.node-1 ipvsadm -a -t \(one):30080 -r 10.200.0.2:8080 -m",
            "ip netns exec lab.node-1 ipvsadm -a -t \(one):30080 -r 10.200.1.2:8080 -m",
        ])
        // And back: the virtual servers and the elements go, nothing else.
        #expect(try Self.change(from: after, to: before).count == 4)
    }

    @Test func clusterToLocalDropsEachNodesRemoteRealServerAndItsMasquerade() throws {
        let after = try Self.topology(Self.nodePort(30080, .local))
        let (zero, one) = (after.nodes[0].address!, after.nodes[1].address!)
        #expect(try Self.change(from: try Self.topology(Self.nodePort()), to: after) == [
            "ip netns exec lab.node-0 ipvsadm -d -t \(zero):30080 -r 10.200.1.2:8080",
            "ip netns exec lab.node-1 ipvsadm -d -t \(one):30080 -r 10.200.0.2:8080",
            "ip netns exec lab.node-0 nft delete element ip podnet-lab external-masquerade { \(zero) . tcp . 30080 }",
            "ip netns exec lab.node-1 nft delete element ip podnet-lab external-masquerade { \(one) . tcp . 30080 }",
        ])
    }

    @Test func aLocalPolicyLosingTheNodesLastEndpointEmptiesTheServerAndDrops() throws {
        let before = try Self.topology(Self.nodePort(30080, .local))
        let after = try Self.topology {
            Self.nodePort(30080, .local)(&$0)
            $0.endpoints = ["b"]
        }
        let zero = after.nodes[0].address!
        let commands = try Self.change(from: before, to: after)
        #expect(commands.contains("ip netns exec lab.node-0 ipvsadm -d -t \(zero):30080 -r 10.200.0.2:8080"))
        #expect(commands.contains("ip netns exec lab.node-0 nft add element ip podnet-lab no-local-endpoints { \(zero) . tcp . 30080 }"))
        #expect(!commands.contains { $0.contains("ipvsadm -D") || $0.contains("ipvsadm -A") })
    }

    @Test func aNewNodePortReplacesTheVirtualServerAndItsElement() throws {
        let after = try Self.topology(Self.nodePort(30081))
        let zero = after.nodes[0].address!
        let commands = try Self.change(from: try Self.topology(Self.nodePort(30080)), to: after)
        #expect(commands.count == 12)
        #expect(commands.prefix(2) == ["ip netns exec lab.node-0 ipvsadm -D -t \(zero):30080",
                                       "ip netns exec lab.node-1 ipvsadm -D -t \(after.nodes[1].address!):30080"])
        #expect(commands.filter { $0.contains("external-masquerade") }.count == 4)
    }

    @Test func clientIPAffinityIsAnEditOfEachVirtualServer() throws {
        let before = try Self.topology(Self.nodePort())
        let after = try Self.topology {
            Self.nodePort()(&$0)
            $0.sessionAffinity = .clientIP(timeoutSeconds: 600)
        }
        let zero = after.nodes[0].address!
        let commands = try Self.change(from: before, to: after)
        #expect(commands.count == 4)
        #expect(commands.prefix(2) == ["ip netns exec lab.node-0 ipvsadm -E -t 10.96.0.2:8080 -s rr -p 600",
                                       "ip netns exec lab.node-0 ipvsadm -E -t \(zero):30080 -s rr -p 600"])
        let live = applied(try Planner(cluster: "lab").plan(desired: LabRenderer(topology: before).render(), live: KernelState()), to: KernelState())
        let plan = try Planner(cluster: "lab").plan(desired: LabRenderer(topology: after).render(), live: live)
        #expect(plan.operations.allSatisfy { $0.reason == "persistence differs" })
        #expect(plan.summary == Plan.Summary(create: 0, update: 4, delete: 0))
    }

    @Test func internalTrafficPolicyLocalDropsTheOtherNodesRealServer() throws {
        let commands = try Self.change(from: try Self.topology(), to: try Self.topology { $0.internalTrafficPolicy = .local })
        #expect(commands == [
            "ip netns exec lab.node-0 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.1.2:8080",
            "ip netns exec lab.node-1 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.0.2:8080",
        ])
    }

    @Test func anExternalIPIsAnAddressOnKubeIPVS0AndAVirtualServerOnEachNode() throws {
        let external = IPv4Address(192, 168, 70, 10)
        let commands = try Self.change(from: try Self.topology(), to: try Self.topology { $0.externalIPs = [.v4(external)] })
        #expect(commands.filter { $0.contains("addr add \(external)/32 dev kube-ipvs0") }.count == 2)
        #expect(commands.filter { $0.contains("ipvsadm -A -t \(external):8080 -s rr") }.count == 2)
        #expect(commands.filter { $0.contains("external-masquerade { \(external) . tcp . 8080 }") }.count == 2)
        #expect(commands.count == 2 * (1 + 1 + 2 + 1))
    }
}
