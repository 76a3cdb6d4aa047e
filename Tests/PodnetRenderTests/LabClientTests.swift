import PodnetAddress
import PodnetKernelModel
import PodnetPlan
@testable import PodnetRender
import PodnetTopology
import Testing

/// `clients[]`: hosts outside the cluster, on the underlay (lab mode only).
@Suite struct LabClientTests {
    /// Three nodes; web's endpoints on node-1 and node-2, none on node-0; `lonely`
    /// without endpoints. The new fields are set on the resolved topology.
    static func topology() throws -> Topology {
        let result = TopologyLoader.load(text: """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        network: { backend: host-gw }
        nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]
        pods:
          - { name: b0, node: node-1, labels: { app: web } }
          - { name: c0, node: node-2, labels: { app: web } }
        services:
          - { name: web, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
          - { name: lonely, endpoints: [], ports: [{ port: 81 }] }
        """, file: "t.yaml")
        var topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        topology.services[0].type = .nodePort
        topology.services[0].ports[0].nodePort = 30080
        topology.services[0].externalIPs = [.v4(IPv4Address("203.0.113.10")!), .v4(IPv4Address("203.0.113.11")!)]
        topology.services[1].externalIPs = [.v4(IPv4Address("203.0.113.20")!), .v4(IPv4Address("203.0.113.10")!)]
        topology.clients = [Client(name: "ext", address: IPv4Address("192.168.64.100")!)]
        return topology
    }

    @Test func aClientIsAMarkedNamespaceWithEth0OnTheUnderlay() throws {
        let state = LabRenderer(topology: try Self.topology()).render()
        let namespace = NamespaceRef.named("lab.ext")
        #expect(state.namespaces["lab.ext"]?.mark.alias == "podnet:lab:client/ext")
        #expect(state.links[.init(namespace, "lo")]?.up == true)
        let eth0 = Link.ID(namespace, "eth0")
        let port = Link.ID(.named("lab.underlay"), KernelNames.peerEnd(of: "ext"))
        #expect(state.links[eth0]?.kind == .veth(peer: port))
        #expect(state.links[eth0]?.mark?.alias == "podnet:lab:client/ext")
        #expect(state.links[port]?.kind == .veth(peer: eth0))
        #expect(state.links[port]?.master == "underlay")
        #expect(state.links[port]?.alternativeNames == ["client-ext"])
        #expect(state.links[port]?.mtu == 1500)
        #expect(state.addresses.contains(Address(link: eth0, address: IPv4Prefix("192.168.64.100/24")!)))
        // Nothing of a node: no forwarding, no bridge, no proxy.
        #expect(state.sysctls.keys.allSatisfy { $0.namespace != namespace })
        #expect(state.links(in: namespace).map(\.id.name) == ["eth0", "lo"])
    }

    /// Each external IP via the first node (declaration order) with an endpoint of
    /// its service, or the first node when the service has none; an IP two services
    /// share goes where the first service sends it.
    @Test func everyExternalIPIsRoutedToTheNodeAnAnnouncerWouldElect() throws {
        let state = LabRenderer(topology: try Self.topology()).render()
        let routes = state.routes.values.filter { $0.id.namespace == .named("lab.ext") }.sorted { $0.id < $1.id }
        #expect(routes.map(\.id.destination.description) == ["203.0.113.10/32", "203.0.113.11/32", "203.0.113.20/32"])
        #expect(routes.map { $0.gateway?.description } == ["192.168.64.5", "192.168.64.5", "192.168.64.4"])
        #expect(routes.allSatisfy { $0.device == "eth0" && $0.protocol == Route.protocolBoot })
    }

    @Test func theAnnouncerIsTheFirstNodeWithAnEndpoint() throws {
        let topology = try Self.topology()
        #expect(ExternalIPAnnouncement.node(for: topology.services[0], in: topology)?.name == "node-1")
        #expect(ExternalIPAnnouncement.node(for: topology.services[1], in: topology)?.name == "node-0")
    }

    @Test func hostModeRendersNoClient() throws {
        let topology = try Self.topology()
        let state = HostRenderer(topology: topology, node: topology.nodes[0], uplink: "eth0").render()
        #expect(state.namespaces["lab.ext"] == nil)
        #expect(!state.links.values.contains { $0.mark?.role.hasPrefix("client/") == true })
    }

    @Test func aClientsAddressIsNoNodesAssignment() throws {
        let live = LabRenderer(topology: try Self.topology()).render()
        let assignments = LiveAssignmentsReader.assignments(in: live, cluster: "lab")
        #expect(assignments.nodeAddresses.keys.sorted() == ["node-0", "node-1", "node-2"])
    }

    /// Reconciled like the rest: a client added is created, one removed is pruned by
    /// its mark (its namespace, and with it both veth ends), destroy takes it.
    @Test func aClientIsCreatedPrunedAndDestroyedByItsMark() throws {
        let with = LabRenderer(topology: try Self.topology()).render()
        var without = try Self.topology()
        without.clients = []
        let bare = LabRenderer(topology: without).render()
        let planner = Planner(cluster: "lab")

        let adding = try planner.plan(desired: with, live: bare)
        #expect(adding.operations.contains { if case .addNamespace(let namespace) = $0.operation { namespace.name == "lab.ext" } else { false } })
        #expect(adding.operations.allSatisfy { $0.operation.namespace == .named("lab.ext") || $0.operation.namespace == .named("lab.underlay") })
        #expect(PlanSimulator.apply(adding, to: bare) == with)
        #expect(try planner.plan(desired: with, live: with).isEmpty)

        let pruning = try planner.plan(desired: bare, live: with)
        #expect(pruning.operations.map(\.operation) == [.deleteNamespace("lab.ext")])
        #expect(PlanSimulator.apply(pruning, to: with) == bare)

        let destroying = try planner.plan(desired: KernelState(), live: with)
        #expect(destroying.operations.contains { $0.operation == .deleteNamespace("lab.ext") })
    }
}
