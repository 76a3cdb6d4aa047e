import Foundation
import PodnetAddress
@testable import podnet
import PodnetRender
import PodnetTopology
import Testing

/// `podnet show` of a dual-stack cluster in ipvs mode, from the state a lab renders
/// (as the kernel holds it after an apply): IPv6 virtual and real servers in brackets,
/// as `ipvsadm -Ln` lists them.
@Suite struct IPVSShowDualStackTests {
    @Test func ipv6VirtualServersAreListedInBrackets() throws {
        let text = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/dual-stack.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\n  mode: nftables ", with: "\n  mode: ipvs ")
        let result = TopologyLoader.load(text: text, file: "dual-stack.yaml")
        let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))")
        try #require(topology.proxy.mode == .ipvs)
        let view = LiveStateView(cluster: topology.name, state: LabRenderer(topology: topology).render())
        let shown = view.text
        #expect(shown.contains("TCP [fd00:96::1]:8080  rr         [fd00:200::2]:8080 masq 1, [fd00:200:0:1::2]:8080 masq 1"), "\(shown)")
        #expect(shown.contains("TCP 10.96.0.1:8080     rr         10.200.0.2:8080 masq 1, 10.200.1.2:8080 masq 1"), "\(shown)")
        // JSON keeps the address and port apart, as for IPv4.
        let row = try #require(view.ipvsServices.first { $0.address == "fd00:96::1" })
        #expect(row.port == 8080 && row.realServers.map(\.address) == ["fd00:200::2", "fd00:200:0:1::2"])
    }
}
