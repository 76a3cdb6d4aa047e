import Foundation
import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import Testing

@Suite struct PlannerTests {
    static let cluster = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    network: { backend: host-gw }
    nodes:
      - { name: node-0, bridge: br0 }
      - { name: node-1, bridge: br1 }
    pods:
      - { name: a0, node: node-0 }
      - { name: a1, node: node-0 }
      - { name: b0, node: node-1 }
    """
    let planner = Planner(cluster: "lab")

    /// An apply killed between making links and marking them leaves them unaliased in
    /// podnet's own namespaces: the next plan takes them as podnet's and converges,
    /// rather than calling them in the way.
    @Test func linksAnInterruptedApplyLeftUnmarkedAreAdoptedAndConverge() throws {
        let desired = try desiredState(Self.cluster)
        var live = desired
        let veth = try #require(desired.links.values.first { if case .veth = $0.kind { return $0.master != nil } else { return false } })
        guard case .veth(let peer) = veth.kind else { return }
        live.links[veth.id]?.mark = nil
        live.links[peer]?.mark = nil
        let plan = try planner.plan(desired: desired, live: live)
        #expect(!plan.isEmpty)
        #expect(owned(applied(plan, to: live), cluster: "lab") == desired)
        // Not in a namespace podnet owns, or under another kind: still in the way.
        var foreign = live
        foreign.links[veth.id]?.kind = .bridge
        #expect(throws: PlanError.self) { try planner.plan(desired: desired, live: foreign) }
    }

    @Test func coldPlanBuildsEverythingInDependencyOrder() throws {
        let desired = try desiredState(Self.cluster)
        let plan = try planner.plan(desired: desired, live: KernelState())
        #expect(plan.summary.delete == 0)
        let layers = plan.operations.map { PlanOrder.layer(of: $0.operation) }
        #expect(layers == layers.sorted())
        // One operation per veth pair, not per end.
        let vethPairs = plan.operations.filter { if case .addLink(_, let peer) = $0.operation { return peer != nil } else { return false } }
        #expect(vethPairs.count == 3 + 2)   // three pods, two node uplinks
        #expect(owned(applied(plan, to: KernelState()), cluster: "lab") == desired)
    }

    /// A tunnel comes up only after its underlying device has its address (a
    /// multicast VXLAN's IGMP report must not leave from 0.0.0.0), and its own
    /// address and the routes through it follow it.
    @Test(arguments: ["{ backend: vxlan }", "{ backend: vxlan, vxlan: { discovery: multicast, group: 239.1.1.1 } }", "{ backend: ipip }"])
    func tunnelsComeAfterTheirUnderlyingAddress(network: String) throws {
        let text = Self.cluster.replacingOccurrences(of: "network: { backend: host-gw }", with: "network: \(network)")
        let plan = try planner.plan(desired: try desiredState(text), live: KernelState())
        let node = NamespaceRef.named("lab.node-0")
        let index: (String) -> Int? = { wanted in plan.operations.firstIndex { planned in
            switch planned.operation {
            case .addAddress(let address): return "address \(address.link.name)" == wanted && address.link.namespace == node
            case .addLink(let link, _): return "link \(link.id.name)" == wanted && link.id.namespace == node
            case .addRoute(let route): return "route" == wanted && route.id.namespace == node
            default: return false
            }
        } }
        let tunnel = network.contains("ipip") ? "ipip0" : "vxlan0"
        let uplinkAddress = try #require(index("address eth0"))
        let creation = try #require(index("link \(tunnel)"))
        let route = try #require(index("route"))
        #expect(uplinkAddress < creation && creation < route)
        if let tunnelAddress = index("address \(tunnel)") { #expect(creation < tunnelAddress) }
    }

    @Test func aSecondPlanIsEmpty() throws {
        let desired = try desiredState(Self.cluster)
        let live = applied(try planner.plan(desired: desired, live: KernelState()), to: KernelState())
        #expect(try planner.plan(desired: desired, live: live).isEmpty)
    }

    @Test func aDeletedDefaultRouteIsExactlyWhatThePlanRestores() throws {
        let desired = try desiredState(Self.cluster)
        var live = desired
        let id = Route.ID(namespace: .named("lab.a0"), destination: IPv4Prefix("0.0.0.0/0")!)
        live.routes[id] = nil
        let plan = try planner.plan(desired: desired, live: live)
        #expect(plan.operations == [.init(.addRoute(desired.routes[id]!), reason: "missing")])
    }

    @Test func aDeletedHostSideVethRecreatesThePairOnly() throws {
        let desired = try desiredState(Self.cluster)
        let hostEnd = Link.ID(.named("lab.node-0"), KernelNames.peerEnd(of: "a0"))
        var live = desired
        PlanSimulatorAccess.deleteLink(hostEnd, in: &live)
        let plan = try planner.plan(desired: desired, live: live)
        // The pair, the pod's address and its default route (gone with the pod's eth0).
        #expect(plan.operations.count == 3)
        guard case .addLink(let link, let peer) = plan.operations[0].operation else { Issue.record("\(plan.operations)"); return }
        #expect(link.id == hostEnd)
        #expect(peer?.id == Link.ID(.named("lab.a0"), "eth0"))
        #expect(owned(applied(plan, to: live), cluster: "lab") == desired)
    }

    @Test func removingAPodDeletesItsNamespaceOnly() throws {
        let desired = try desiredState(Self.cluster.replacingOccurrences(of: "  - { name: a1, node: node-0 }\n", with: ""))
        let live = try desiredState(Self.cluster)
        let plan = try planner.plan(desired: desired, live: live)
        #expect(plan.operations.map(\.operation) == [.deleteNamespace("lab.a1")])
    }

    @Test func changingAPodIPReplacesTheAddressOnly() throws {
        let live = try desiredState(Self.cluster)
        let desired = try desiredState(Self.cluster.replacingOccurrences(of: "{ name: a1, node: node-0 }", with: "{ name: a1, node: node-0, ip: 10.200.0.9 }"))
        let plan = try planner.plan(desired: desired, live: live)
        let eth0 = Link.ID(.named("lab.a1"), "eth0")
        // The default route goes with the old address (its gateway was reachable through
        // it), so it is re-planned; found by apply's verification on a real kernel.
        let route = desired.routes[.init(namespace: .named("lab.a1"), destination: IPv4Prefix("0.0.0.0/0")!)]!
        #expect(plan.operations.map(\.operation) == [
            .deleteAddress(Address(link: eth0, address: IPv4Prefix("10.200.0.3/24")!)),
            .addAddress(Address(link: eth0, address: IPv4Prefix("10.200.0.9/24")!)),
            .replaceRoute(route),
        ])
        #expect(owned(applied(plan, to: live), cluster: "lab") == desired)
    }

    @Test func attributeDriftIsAnUpdateInPlace() throws {
        let desired = try desiredState(Self.cluster)
        var live = desired
        let bridge = Link.ID(.named("lab.node-0"), "br0")
        live.links[bridge]?.mtu = 9000
        live.links[bridge]?.up = false
        let plan = try planner.plan(desired: desired, live: live)
        #expect(plan.operations.count == 1)
        #expect(plan.operations[0].reason == "down → up, mtu 9000 → 1500")
        #expect(plan.summary == Plan.Summary(create: 0, update: 1, delete: 0))
    }

    @Test func aForeignLinkSurvivesAndAForeignOneInTheWayIsAnError() throws {
        let desired = try desiredState(Self.cluster)
        var live = desired
        let handMade = Link(id: .init(.named("lab.node-0"), "dummy-x"), kind: .bridge)
        live.insert(handMade)
        #expect(try planner.plan(desired: desired, live: live).isEmpty)

        let bridge = Link.ID(.named("lab.node-0"), "br0")
        live.links[bridge]?.mark = nil
        #expect(throws: PlanError.self) { try planner.plan(desired: desired, live: live) }
    }

    @Test func anUnownedNamespaceInTheWayIsAnError() throws {
        let desired = try desiredState(Self.cluster)
        var live = KernelState()
        live.unownedNamespaces = ["lab.a0"]
        do {
            _ = try planner.plan(desired: desired, live: live)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.conflicts.count == 1)
            #expect(error.conflicts[0].contains("namespace lab.a0 exists but is not podnet's"))
        }
    }

    @Test func destroyDeletesNamespacesOnlyNeverTheirVeths() throws {
        let live = try desiredState(Self.cluster)
        let plan = try planner.plan(desired: KernelState(), live: live)
        #expect(plan.operations.allSatisfy { if case .deleteNamespace = $0.operation { return true } else { return false } })
        #expect(plan.operations.count == live.namespaces.count)
        #expect(owned(applied(plan, to: live), cluster: "lab") == KernelState())
    }

    @Test func aKindChangeIsAReplacement() throws {
        let desired = try desiredState(Self.cluster)
        var live = desired
        let bridge = Link.ID(.named("lab.node-0"), "br0")
        live.links[bridge]?.kind = .dummy
        let plan = try planner.plan(desired: desired, live: live)
        #expect(plan.operations.first?.operation == .deleteLink(bridge))
        #expect(plan.operations.first?.reason == "kind dummy → bridge cannot change in place")
        #expect(owned(applied(plan, to: live), cluster: "lab") == desired)
    }
}

/// Mutations of a state as the kernel makes them.
enum PlanSimulatorAccess {
    static func deleteLink(_ id: Link.ID, in state: inout KernelState) {
        state = PlanSimulator.apply(Plan(operations: [.init(.deleteLink(id), reason: "test")]), to: state)
    }
}

@Suite struct AdoptionTests {
    @Test func anEmptyUnmarkedNamespaceLeftByAKilledApplyIsAdopted() throws {
        let desired = try desiredState(PlannerTests.cluster)
        var live = KernelState()
        live.emptyUnmarkedNamespaces = ["lab.a0"]
        let plan = try Planner(cluster: "lab").plan(desired: desired, live: live)
        #expect(!plan.operations.contains { $0.operation == .addNamespace(desired.namespaces["lab.a0"]!) })
        #expect(plan.operations.contains { if case .setLink(let link, nil) = $0.operation { return link.id == Link.ID(.named("lab.a0"), "lo") } else { return false } })
        #expect(owned(applied(plan, to: live), cluster: "lab") == desired)
    }

    @Test func aNamespaceWithContentIsNeverAdopted() throws {
        let desired = try desiredState(PlannerTests.cluster)
        var live = KernelState()
        live.unownedNamespaces = ["lab.a0"]
        #expect(throws: PlanError.self) { try Planner(cluster: "lab").plan(desired: desired, live: live) }
    }
}
