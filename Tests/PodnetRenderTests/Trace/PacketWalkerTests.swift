import Foundation
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// `podnet trace`'s model: a packet followed through the desired state of each
/// backend, seed 003's cases (pod to pod on one node and across nodes; a ClusterIP
/// from another node, from the same node, and hairpin), and the reply back.
@Suite struct PacketWalkerTests {
    static func load(_ example: String, proxy: String? = nil) throws -> (Topology, PacketWalker) {
        var text = try String(contentsOf: ClusterGraphExampleTests.topologies.appendingPathComponent("\(example).yaml"), encoding: .utf8)
        if let proxy { text = text.replacingOccurrences(of: "mode: nftables", with: "mode: \(proxy)") }
        let result = TopologyLoader.load(text: text, file: example)
        let topology = try #require(result.topology, "\(example): \(result.diagnostics.map(\.message))")
        return (topology, PacketWalker(state: LabRenderer(topology: topology).render()))
    }

    static func trace(_ example: String, _ source: String, _ destination: String, endpoint: String? = nil,
                      proxy: String? = nil) throws -> (PacketPath, TraceRequest) {
        let (topology, walker) = try load(example, proxy: proxy)
        let request = try TraceRequest.resolve(source: source, destination: destination, in: topology, walker: walker)
        let choices = PacketWalker.Choices(endpoint: endpoint.flatMap { topology.pod(named: $0)?.ip })
        return (walker.trace(request.packet, from: request.namespace, choices: choices), request)
    }

    static func kinds(_ hops: [PacketPath.Hop]) -> [PacketPath.Hop.Kind] { hops.map(\.kind) }

    @Test(arguments: [("host-gw", "a0", "a1", "hostgw"), ("vxlan-static", "a0", "c", "vxlan"),
                      ("vxlan-multicast", "a0", "a1", "vxlan-mc"), ("ipip", "a0", "a1", "ipip")])
    func podToPodOnAnotherNodeIsDeliveredAndAnswered(example: String, source: String, destination: String, cluster: String) throws {
        let (path, _) = try Self.trace(example, source, destination)
        #expect(path.outcome == .delivered(namespace: "\(cluster).\(destination)"), "\(path.hops.map(\.text))")
        #expect(path.replyOutcome == .delivered(namespace: "\(cluster).\(source)"))
        #expect(path.hops.first?.text.contains("default via 10.200.0.1 dev eth0") == true)
        switch example {
        case "host-gw":
            #expect(path.hops.contains { $0.text.contains("10.200.1.0/24 via 192.168.64.5 dev eth0") })
            #expect(!Self.kinds(path.hops).contains(.encapsulate))
        case "vxlan-static":
            #expect(path.hops.contains { $0.kind == .encapsulate && $0.text.contains("VTEP 192.168.64.6") })
            #expect(path.hops.contains { $0.kind == .decapsulate && $0.namespace == "vxlan.node-2" })
        case "vxlan-multicast":
            #expect(path.hops.contains { $0.kind == .encapsulate && $0.text.contains("multicast group 239.1.1.1") })
        default:
            #expect(path.hops.contains { $0.kind == .encapsulate && $0.text.contains("IP-in-IP") && $0.packet.contains("10.200.0.2") })
            #expect(path.hops.contains { $0.kind == .decapsulate && $0.text.contains("ipip0") })
        }
    }

    /// The ipip module gives every namespace a catch-all tunl0 (found in the full-kernel
    /// lane's live state); the kernel still hands the outer packet to ipip0, which is
    /// bound to the node's address.
    @Test func theTunnelBoundToTheOuterDestinationUnwrapsIt() throws {
        let (topology, walker) = try Self.load("ipip")
        var state = walker.state
        // Named to sort before ipip0: the binding decides, not the name.
        state.insert(Link(id: .init(.named("ipip.node-1"), "a-catch-all"), kind: .ipip(IPIPDevice(local: nil, device: nil))))
        let live = PacketWalker(state: state)
        let request = try TraceRequest.resolve(source: "a0", destination: "a1", in: topology, walker: live)
        let path = live.trace(request.packet, from: request.namespace)
        #expect(path.hops.contains { $0.kind == .decapsulate && $0.text.hasPrefix("ipip0 of node node-1") }, "\(path.hops.map(\.text))")
    }

    @Test func podToPodOnOneNodeCrossesItsBridgeOnly() throws {
        let (path, _) = try Self.trace("services-nftables", "a0", "a1")
        #expect(path.isDelivered)
        #expect(path.hops.allSatisfy { $0.namespace == "svc-nft.a0" || $0.namespace == "svc-nft.node-0" || $0.namespace == "svc-nft.a1" })
    }

    static let serviceCases = [("c", "b", "another node"), ("a1", "a0", "the same node"), ("a0", "a0", "hairpin")]

    /// Seed 003 §5's three cases through each proxy: its rules are run (nf_tables
    /// expressions, iptables' rules, IPVS's virtual server), the endpoint chosen
    /// among the candidates, the reply translated back.
    @Test(arguments: ["nftables", "iptables", "ipvs"].flatMap { mode in serviceCases.map { (mode, $0.0, $0.1, $0.2) } })
    func aClusterIPIsTranslatedToTheChosenEndpointAndTheReplyBack(mode: String, source: String, endpoint: String, case: String) throws {
        let (path, request) = try Self.trace("services-nftables", source, "kube-svc-1:8080", endpoint: endpoint, proxy: mode)
        #expect(request.packet.destination.description == "10.96.0.2")
        #expect(path.outcome == .delivered(namespace: "svc-nft.\(endpoint)"), "\(mode) \(`case`): \(path.hops.map(\.text))")
        switch mode {
        case "nftables":
            let dnat = try #require(path.hops.first { $0.kind == .netfilter && $0.text.contains("DNAT") }, "\(`case`)")
            #expect(dnat.details.contains { $0.hasPrefix("random choice among 2 (each 1/2)") })
            #expect(dnat.details.contains { $0.contains("vmap @service-ips") })
        case "iptables":
            let dnat = try #require(path.hops.first { $0.kind == .netfilter && $0.text.contains("DNAT") }, "\(`case`)")
            // The cascade: the first endpoint's rule matches with probability 1/2, the
            // last takes the rest; followed to the one chosen.
            let cascade = dnat.details.contains { $0.contains("-m statistic --mode random --probability 0.50000000000") }
            #expect(cascade == (endpoint == "a0"))
            #expect(dnat.details.contains { $0.contains("--to-destination \(endpoint == "a0" ? "10.200.0.2" : "10.200.1.2"):8080") })
            #expect(dnat.details.contains { $0.hasPrefix("random choice among 2 (each 1/2)") })
        default:
            #expect(path.hops.contains { $0.text.contains("IPVS: virtual server TCP 10.96.0.2:8080 (rr) sends it to real server") })
        }
        if `case` == "hairpin" {
            // Masqueraded to the bridge's address, so that the reply comes back through the node.
            #expect(path.hops.contains { $0.text.contains("source NAT to 10.200.0.1") })
        }
        #expect(path.replyOutcome == .delivered(namespace: "svc-nft.\(source)"))
        let restored = try #require(path.reply?.first { $0.text.contains("conntrack") }, "\(`case`)")
        #expect(restored.packet.hasPrefix("10.96.0.2:8080 → \(request.packet.source):40000"), "\(restored.packet)")
    }

    @Test func aPolicyDropIsTracedToTheRuleThatDropped() throws {
        let (topology, _) = try Self.load("netpol-allow-from-namespace")
        let walker = PacketWalker(state: LabRenderer(topology: topology).render())
        let denied = try TraceRequest.resolve(source: "tool", destination: "db:5432", in: topology, walker: walker)
        let path = walker.trace(denied.packet, from: denied.namespace)
        guard case .dropped(let reason) = path.outcome else { Issue.record("\(path.outcome)"); return }
        #expect(reason.contains("to-db: drop"))
        #expect(path.hops.last?.details.contains { $0.contains("jump ingress-prod/db-clients") } == true)
        let allowed = try TraceRequest.resolve(source: "web", destination: "db:5432", in: topology, walker: walker)
        let through = walker.trace(allowed.packet, from: allowed.namespace)
        #expect(through.isDelivered)
        #expect(through.hops.contains { $0.kind == .netfilter && $0.text.contains("accepted by ingress-prod/db-clients") })
        // The reply is established: the policy's table lets it pass at once.
        #expect(through.replyOutcome == .delivered(namespace: "np-from-ns.web"))
    }

    @Test func aServiceWithoutEndpointsIsRejected() throws {
        let (topology, walker) = try Self.load("services-nftables")
        var empty = topology
        empty.services[0].endpoints = []
        let state = PacketWalker(state: LabRenderer(topology: empty).render())
        let request = try TraceRequest.resolve(source: "c", destination: "kube-svc-1:8080", in: empty, walker: walker)
        guard case .rejected(let reason) = state.trace(request.packet, from: request.namespace).outcome else {
            Issue.record("not rejected"); return
        }
        #expect(reason.contains("TCP reset"))
    }

    @Test func requestsNameWhatTheyResolveTo() throws {
        let (topology, walker) = try Self.load("services-nftables")
        let node = try TraceRequest.resolve(source: "node-1", destination: "a0", in: topology, walker: walker)
        #expect(node.packet.source.description == "10.200.1.1" && node.packet.protocol == .icmp, "the route to a0 leaves by br1 (multicast VXLAN)")
        let udp = try TraceRequest.resolve(source: "a0", destination: "10.200.1.2:53/UDP", in: topology, walker: walker)
        #expect(udp.packet.protocol == .udp && udp.packet.destinationPort == 53)
        #expect(throws: TraceRequest.Problem.unknownSource("nobody")) {
            try TraceRequest.resolve(source: "nobody", destination: "a0", in: topology, walker: walker)
        }
        #expect(throws: TraceRequest.Problem.badPort("80/SCTP")) {
            try TraceRequest.resolve(source: "a0", destination: "b:80/SCTP", in: topology, walker: walker)
        }
    }
}
