import Foundation
import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// `podnet trace` over IPv6 in the dual-stack example (a0 on node-0, b on node-1,
/// c on node-2; web over a0 and b): pod to pod over each backend (VXLAN carrying
/// IPv6 in IPv4 frames, host-gw over the IPv6 underlay, sit's 6in4 over ipip), the
/// ClusterIP in proxy modes nftables and iptables with the hairpin masqueraded to
/// the bridge's IPv6 address, and how names and addresses resolve per family.
@Suite struct PacketWalkerIPv6Tests {
    static let networks = [
        "vxlan-static": "network: { backend: vxlan, vxlan: { vni: 1, discovery: static } }",
        "vxlan-multicast": "network: { backend: vxlan, vxlan: { vni: 100, discovery: multicast, group: 239.1.1.1 } }",
        "host-gw": "network: { backend: host-gw }",
        "ipip": "network: { backend: ipip }",
    ]

    static func load(network: String = "vxlan-static", proxy: String = "nftables") throws -> (Topology, PacketWalker) {
        var lines: [String] = []
        var skipping = false
        let source = try String(contentsOf: ClusterGraphExampleTests.topologies.appendingPathComponent("dual-stack.yaml"), encoding: .utf8)
        for line in source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("network:") { lines.append(networks[network]!); skipping = true; continue }
            if line.hasPrefix("proxy:") { lines.append("proxy: { mode: \(proxy) }"); skipping = true; continue }
            if skipping, line.hasPrefix(" ") { continue }
            skipping = false
            lines.append(line)
        }
        let result = TopologyLoader.load(text: lines.joined(separator: "\n"), file: "dual-stack.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        return (topology, PacketWalker(state: LabRenderer(topology: topology).render()))
    }

    static func trace(_ source: String, _ destination: String, endpoint: String? = nil, network: String = "vxlan-static",
                      proxy: String = "nftables", family: AddressFamily? = .ipv6) throws -> (PacketPath, TraceRequest) {
        let (topology, walker) = try load(network: network, proxy: proxy)
        let request = try TraceRequest.resolve(source: source, destination: destination, in: topology, walker: walker, family: family)
        let choices = PacketWalker.Choices(endpoint: endpoint.flatMap { topology.pod(named: $0)?.ip(request.packet.family) })
        return (walker.trace(request.packet, from: request.namespace, choices: choices), request)
    }

    @Test(arguments: ["vxlan-static", "vxlan-multicast", "host-gw", "ipip"])
    func podToPodOverIPv6IsDeliveredAndAnswered(network: String) throws {
        let (path, request) = try Self.trace("a0", "c", network: network)
        #expect(request.packet.description == "fd00:200::2 → fd00:200:0:2::2 ICMPv6 echo")
        #expect(path.outcome == .delivered(namespace: "ds.c"), "\(path.hops.map(\.text))")
        #expect(path.replyOutcome == .delivered(namespace: "ds.a0"), "\(path.reply?.map(\.text) ?? [])")
        let texts = path.hops.map(\.text)
        #expect(texts.first?.contains("default via fd00:200::1 dev eth0") == true, "\(texts)")
        switch network {
        case "vxlan-static":
            #expect(texts.contains { $0.contains("fd00:200:0:2::/64 via fd00:200:0:2:: dev vxlan0 onlink") }, "\(texts)")
            #expect(texts.contains { $0.contains("neighbour fd00:200:0:2:: is") && $0.contains("VTEP 192.168.64.6") }, "\(texts)")
        case "vxlan-multicast":
            #expect(texts.contains { $0.contains("multicast group 239.1.1.1") }, "\(texts)")
        case "host-gw":
            #expect(texts.contains { $0.contains("fd00:200:0:2::/64 via fd00:64::6 dev eth0") }, "\(texts)")
            #expect(!path.hops.contains { $0.kind == .encapsulate })
        default:
            #expect(texts.contains { $0.contains("sit1 wraps it in IPv4 (6in4, protocol 41): an outer packet 192.168.64.4 → 192.168.64.6") }, "\(texts)")
            #expect(texts.contains { $0.contains("sit1 of node node-2 unwraps the inner packet") }, "\(texts)")
        }
    }

    @Test(arguments: ["nftables", "iptables"])
    func theIPv6ClusterIPIsTranslatedAndTheHairpinMasqueraded(proxy: String) throws {
        let (fromAnotherNode, request) = try Self.trace("c", "web:8080", endpoint: "b", proxy: proxy)
        #expect(request.destinationName == "service web (ClusterIP [fd00:96::1]:8080/TCP)")
        #expect(fromAnotherNode.outcome == .delivered(namespace: "ds.b"), "\(fromAnotherNode.hops.map(\.text))")
        #expect(fromAnotherNode.hops.contains { $0.text.contains("prerouting: DNAT to [fd00:200:0:1::2]:8080") }, "\(fromAnotherNode.hops.map(\.text))")
        #expect(fromAnotherNode.replyOutcome == .delivered(namespace: "ds.c"))
        #expect(fromAnotherNode.reply?.last?.packet.hasPrefix("[fd00:96::1]:8080 →") == true, "the reply comes from the ClusterIP: \(fromAnotherNode.reply?.last?.packet ?? "")")
        let table = proxy == "nftables" ? "ip6 podnet-ds" : "ip6tables nat"
        #expect(fromAnotherNode.rules.contains { $0.table == table }, "\(fromAnotherNode.rules.map(\.table))")

        let (hairpin, _) = try Self.trace("a0", "web:8080", endpoint: "a0", proxy: proxy)
        #expect(hairpin.outcome == .delivered(namespace: "ds.a0"), "\(hairpin.hops.map(\.text))")
        #expect(hairpin.hops.contains { $0.text.contains("source NAT to fd00:200::1") }, "\(hairpin.hops.map(\.text))")
        #expect(hairpin.replyOutcome == .delivered(namespace: "ds.a0"))
    }

    @Test func aServicePortItLacksIsRejectedWithICMPv6() throws {
        let (topology, walker) = try Self.load()
        let request = try TraceRequest.resolve(source: "c", destination: "[fd00:96::1]:9999", in: topology, walker: walker)
        #expect(request.packet.family == .ipv6)
        let path = walker.trace(request.packet, from: request.namespace)
        guard case .rejected(let reason) = path.outcome else { Issue.record("\(path.outcome)"); return }
        #expect(reason.contains("TCP reset"), "\(reason)")
    }

    @Test func namesResolveInTheFamilyAskedForAndAddressesInTheirOwn() throws {
        let (topology, walker) = try Self.load()
        // The primary family (IPv4 here) by default; -6 for IPv6; an address decides.
        let byDefault = try TraceRequest.resolve(source: "a0", destination: "b", in: topology, walker: walker)
        #expect(byDefault.packet.description == "10.200.0.2 → 10.200.1.2 ICMP echo")
        let ipv6 = try TraceRequest.resolve(source: "a0", destination: "web:8080", in: topology, walker: walker, family: .ipv6)
        #expect(ipv6.packet.description == "[fd00:200::2]:40000 → [fd00:96::1]:8080/TCP")
        let literal = try TraceRequest.resolve(source: "a0", destination: "fd00:200:0:1::2", in: topology, walker: walker)
        #expect(literal.packet.family == .ipv6 && literal.packet.protocol == .icmpv6)
        #expect(TraceRequest.split("[fd00:96::1]:80/UDP") == ("fd00:96::1", "80/UDP"))
        #expect(TraceRequest.split("fd00:96::1") == ("fd00:96::1", nil))
        #expect(TraceRequest.split("web:80") == ("web", "80"))
        // A node is reached at its IPv6 underlay address, its own packets leave from
        // the address of the device its route takes.
        let node = try TraceRequest.resolve(source: "node-0", destination: "b", in: topology, walker: walker, family: .ipv6)
        #expect(node.packet.source == IPAddress("fd00:200::1"), "\(node.packet)")
        // What has no IPv6 address says so.
        var ipv4Service = topology
        ipv4Service.services[0].clusterIPv6 = nil
        #expect(throws: TraceRequest.Problem.noAddress("service web", .ipv6)) {
            try TraceRequest.resolve(source: "a0", destination: "web:8080", in: ipv4Service, walker: walker, family: .ipv6)
        }
        let (ipv4Only, ipv4Walker) = try PacketWalkerTests.load("host-gw")
        #expect(throws: TraceRequest.Problem.noAddress("cluster hostgw", .ipv6)) {
            try TraceRequest.resolve(source: "a0", destination: "a1", in: ipv4Only, walker: ipv4Walker, family: .ipv6)
        }
    }

    @Test func anIPv4PacketMeetsNoIPv6Table() throws {
        let (path, _) = try Self.trace("c", "web:8080", endpoint: "b", family: .ipv4)
        #expect(path.outcome == .delivered(namespace: "ds.b"))
        #expect(!path.rules.contains { $0.table.hasPrefix("ip6") }, "\(path.rules.map(\.table))")
        #expect(path.rules.contains { $0.table == "ip podnet-ds" })
    }
}
