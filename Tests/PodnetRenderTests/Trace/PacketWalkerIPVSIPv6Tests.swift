import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// `podnet trace -6` through proxy mode ipvs in the dual-stack example: the IPv6
/// virtual server schedules to an endpoint's IPv6 address, and the ip6 table's
/// hairpin set masquerades an endpoint that calls itself.
@Suite struct PacketWalkerIPVSIPv6Tests {
    @Test func theIPv6VirtualServerSchedulesToAnIPv6RealServer() throws {
        let (path, request) = try PacketWalkerIPv6Tests.trace("c", "web:8080", endpoint: "b", proxy: "ipvs")
        #expect(request.packet.family == .ipv6)
        #expect(path.outcome == .delivered(namespace: "ds.b"), "\(path.hops.map(\.text))")
        #expect(path.hops.contains { $0.text.contains("IPVS: virtual server TCP [fd00:96::1]:8080 (rr) sends it to real server [fd00:200:0:1::2]:8080") },
                "\(path.hops.map(\.text))")
        #expect(path.hops.contains { $0.details.contains("ipvsadm: -t/-u [fd00:96::1]:8080 -s rr") }, "\(path.hops.map(\.details))")
        #expect(path.replyOutcome == .delivered(namespace: "ds.c"), "\(path.reply?.map(\.text) ?? [])")
        #expect(path.reply?.last?.packet.hasPrefix("[fd00:96::1]:8080 →") == true, "\(path.reply?.last?.packet ?? "")")
    }

    @Test func theHairpinIsMasqueradedByTheIP6Table() throws {
        let (path, _) = try PacketWalkerIPv6Tests.trace("a0", "web:8080", endpoint: "a0", proxy: "ipvs")
        #expect(path.outcome == .delivered(namespace: "ds.a0"), "\(path.hops.map(\.text))")
        #expect(path.rules.contains { $0.table == "ip6 podnet-ds" }, "\(path.rules.map(\.table))")
        #expect(path.hops.contains { $0.text.contains("postrouting: source NAT to fd00:200::1") }, "\(path.hops.map(\.text))")
        #expect(path.replyOutcome == .delivered(namespace: "ds.a0"), "\(path.reply?.map(\.text) ?? [])")
    }
}
