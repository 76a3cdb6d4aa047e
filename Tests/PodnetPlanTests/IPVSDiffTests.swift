import PodnetAddress
import PodnetKernelModel
@testable import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

@Suite struct IPVSDiffTests {
    static let namespace = NamespaceRef.named("lab.node-0")

    static func service(_ port: UInt16, _ proto: IPVSProtocol = .tcp, address: IPv4Address = IPv4Address(10, 96, 0, 2),
                        destinations: [(IPv4Address, UInt16)], scheduler: String = "rr") -> IPVSService {
        IPVSService(id: .init(namespace: namespace, protocol: proto, address: address, port: port), scheduler: scheduler,
                    destinations: destinations.map { IPVSDestination(address: $0.0, port: $0.1) })
    }

    static let a0 = IPv4Address(10, 200, 0, 2)
    static let a1 = IPv4Address(10, 200, 0, 3)
    static let b = IPv4Address(10, 200, 1, 2)

    func commands(live: [IPVSService], desired: [IPVSService]) -> [String] {
        IPVSCommandRenderer.commands(for: IPVSDiff.changes(live: live, desired: desired))
    }

    @Test func fromNothingEveryServiceThenItsDestinations() {
        let desired = [Self.service(8080, destinations: [(Self.a0, 8080), (Self.b, 8080)])]
        #expect(commands(live: [], desired: desired) == [
            "ip netns exec lab.node-0 ipvsadm -A -t 10.96.0.2:8080 -s rr",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:8080 -r 10.200.1.2:8080 -m",
        ])
    }

    @Test func equalStatesNeedNothing() {
        let state = [Self.service(8080, destinations: [(Self.a0, 8080), (Self.b, 8080)]),
                     Self.service(53, .udp, destinations: [])]
        #expect(IPVSDiff.changes(live: state, desired: state.reversed()).isEmpty)
    }

    @Test func anEndpointAddedIsOneDestinationAdded() {
        let live = [Self.service(8080, destinations: [(Self.a0, 8080)])]
        let desired = [Self.service(8080, destinations: [(Self.a0, 8080), (Self.a1, 8080)])]
        #expect(IPVSDiff.changes(live: live, desired: desired) == [.addDestination(live[0].id, IPVSDestination(address: Self.a1, port: 8080))])
        #expect(commands(live: live, desired: desired) == ["ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:8080 -r 10.200.0.3:8080 -m"])
    }

    @Test func anEndpointRemovedIsOneDestinationDeleted() {
        let live = [Self.service(8080, destinations: [(Self.a0, 8080), (Self.b, 8080)])]
        let desired = [Self.service(8080, destinations: [(Self.b, 8080)])]
        #expect(commands(live: live, desired: desired) == ["ip netns exec lab.node-0 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.0.2:8080"])
    }

    @Test func aChangedTargetPortReplacesTheDestinationsOnly() {
        let live = [Self.service(8080, destinations: [(Self.a0, 8080), (Self.b, 8080)])]
        let desired = [Self.service(8080, destinations: [(Self.a0, 9090), (Self.b, 9090)])]
        #expect(commands(live: live, desired: desired) == [
            "ip netns exec lab.node-0 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.0.2:8080",
            "ip netns exec lab.node-0 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.1.2:8080",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:8080 -r 10.200.0.2:9090 -m",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:8080 -r 10.200.1.2:9090 -m",
        ])
    }

    @Test func aChangedServicePortIsAnotherService() {
        let live = [Self.service(8080, destinations: [(Self.a0, 8080)]), Self.service(53, .udp, destinations: [])]
        let desired = [Self.service(80, destinations: [(Self.a0, 8080)]), Self.service(53, .udp, destinations: [])]
        #expect(commands(live: live, desired: desired) == [
            "ip netns exec lab.node-0 ipvsadm -D -t 10.96.0.2:8080",
            "ip netns exec lab.node-0 ipvsadm -A -t 10.96.0.2:80 -s rr",
            "ip netns exec lab.node-0 ipvsadm -a -t 10.96.0.2:80 -r 10.200.0.2:8080 -m",
        ])
    }

    @Test func attributesAreEditedInPlace() {
        var live = Self.service(8080, destinations: [(Self.a0, 8080), (Self.b, 8080)])
        var desired = Self.service(8080, destinations: [(Self.a0, 8080), (Self.b, 8080)], scheduler: "wrr")
        desired.setDestinations([IPVSDestination(address: Self.a0, port: 8080, weight: 3), IPVSDestination(address: Self.b, port: 8080)])
        #expect(commands(live: [live], desired: [desired]) == [
            "ip netns exec lab.node-0 ipvsadm -E -t 10.96.0.2:8080 -s wrr",
            "ip netns exec lab.node-0 ipvsadm -e -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m -w 3",
        ])
        live.flags = .persistent
        live.timeout = 10800
        #expect(IPVSDiff.changes(live: [live], desired: [live]).isEmpty)
        #expect(commands(live: [], desired: [live]).first == "ip netns exec lab.node-0 ipvsadm -A -t 10.96.0.2:8080 -s rr -p 10800")
    }

    @Test func aServiceGoneIsOneDeletionWhateverItsDestinations() {
        let live = [Self.service(8080, destinations: [(Self.a0, 8080), (Self.b, 8080)]),
                    Self.service(53, .udp, address: IPv4Address(10, 96, 0, 10), destinations: [(Self.a0, 53)])]
        #expect(commands(live: live, desired: []) == [
            "ip netns exec lab.node-0 ipvsadm -D -t 10.96.0.2:8080",
            "ip netns exec lab.node-0 ipvsadm -D -u 10.96.0.10:53",
        ])
    }

    @Test func theCurrentNamespaceHasNoPrefix() {
        let service = IPVSService(id: .init(namespace: .current, protocol: .udp, address: IPv4Address(10, 96, 0, 10), port: 53))
        #expect(commands(live: [], desired: [service]) == ["ipvsadm -A -u 10.96.0.10:53 -s rr"])
    }

    /// Rendered from the TOPOLOGY.md example, then one service changed in the file:
    /// the plan touches that service only.
    @Test func oneServiceChangedInTheTopologyChangesOnlyIt() throws {
        let before = IPVSPlanTests.topology
        let after = before.replacingOccurrences(of: "selector: { app: web }, ports: [{ port: 8080 }]",
                                                with: "endpoints: [b], ports: [{ port: 8080 }]")
        func render(_ text: String) throws -> [IPVSService] {
            let topology = try #require(TopologyLoader.load(text: text, file: "t.yaml").topology)
            return IPVSProxyRenderer(topology: topology).objects(forNode: topology.nodes[0], in: Self.namespace).services
        }
        let live = try render(before)
        let changes = IPVSDiff.changes(live: live, desired: try render(after))
        #expect(IPVSCommandRenderer.commands(for: changes) == [
            "ip netns exec lab.node-0 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.0.2:8080",
        ])
        // Applied, the live state equals the desired one and a second diff is empty.
        #expect(IPVSDiff.changes(live: try render(after), desired: try render(after)).isEmpty)
    }
}
