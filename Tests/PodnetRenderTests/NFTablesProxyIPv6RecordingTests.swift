import PodnetAddress
import PodnetKernelModel
import PodnetPlan
@testable import PodnetRender
import PodnetTopology
import Testing

/// The `ip6` proxy table has a record of its own, as the `ip` one: a dual-stack
/// command rebuilds both tables from their records instead of reading them.
@Suite struct NFTablesProxyIPv6RecordingTests {
    typealias IPv6 = NFTablesProxyIPv6RendererTests

    /// The dual-stack lab after each kind of change to its IPv6 side.
    static let afters: [(String, String)] = [
        ("nothing", IPv6.dualStack),
        ("an IPv6 ClusterIP changed", IPv6.dualStack.replacingOccurrences(of: "\"fd00:96::2\"", with: "\"fd00:96::9\"")),
        ("an endpoint gone", IPv6.dualStack.replacingOccurrences(of: "\"fd00:200:0:1::2\"], labels: { app: web }", with: "\"fd00:200:0:1::2\"], labels: { app: other }")),
        ("a service gone", IPv6.dualStack.replacingOccurrences(of: "  - { name: empty, clusterIP: [10.96.0.3, \"fd00:96::3\"], endpoints: [], ports: [{ port: 53, protocol: UDP }] }\n", with: "")),
        ("a service made IPv6 too", IPv6.dualStack.replacingOccurrences(of: "ipFamilies: [IPv4], clusterIP: 10.96.0.5", with: "clusterIP: [10.96.0.5, \"fd00:96::5\"]")),
        ("a port added", IPv6.dualStack.replacingOccurrences(of: "ports: [{ port: 8080 }]", with: "ports: [{ port: 8080 }, { port: 9090, protocol: UDP }]")),
    ]

    static func ip6Table(_ topology: Topology, node: Int = 0) throws -> NFTable {
        try #require(NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[node], in: .named("lab.node-\(node)"), family: .ipv6))
    }

    @Test(arguments: afters.indices)
    func theOldIP6TableIsRebuiltFromTheNewOneAndTheOldRecord(_ index: Int) throws {
        let (change, after) = Self.afters[index]
        #expect(index == 0 || after != IPv6.dualStack, "the change '\(change)' does not apply to the text")
        let old = try NFTablesProxyRendererTests.topology(IPv6.dualStack), new = try NFTablesProxyRendererTests.topology(after)
        let record = NFTablesProxyRenderer(topology: old).record(for: .ipv6)
        let desired = try Self.ip6Table(new)
        let rebuilt = try #require(NFTablesProxyRenderer(topology: new).rebuild(recordedAs: record, desired: desired, onNode: "node-0"), "\(change)")
        #expect(rebuilt.table == (try Self.ip6Table(old)), "\(change)")
        let hinted = NFTablesDiff.changes(live: rebuilt.table, desired: desired, differingChains: rebuilt.differingChains)
        #expect(hinted == NFTablesDiff.changes(live: try Self.ip6Table(old), desired: desired), "\(change)")
        #expect(index == 0 ? hinted.isEmpty : !hinted.isEmpty, "\(change)")
    }

    @Test func eachFamilysTableHasItsOwnLayoutAndRecord() throws {
        let renderer = NFTablesProxyRenderer(topology: try NFTablesProxyRendererTests.topology(IPv6.dualStack))
        #expect(renderer.layout(for: .ipv4) != renderer.layout(for: .ipv6))
        let ip = renderer.record(for: .ipv4), ip6 = renderer.record(for: .ipv6)
        #expect(Set(ip.services.keys) == ["web", "empty", "v4"])
        #expect(Set(ip6.services.keys) == ["web", "empty"])
        #expect(ip6.services["web"]?.hasPrefix("fd00:96::2 ") == true)
        // A record of one family stands for nothing in the other's table.
        #expect(renderer.rebuild(recordedAs: ip, desired: try Self.ip6Table(renderer.topology), onNode: "node-0") == nil)
        let ipTable = try #require(renderer.table(forNode: renderer.topology.nodes[0], in: .named("lab.node-0"), family: .ipv4))
        #expect(renderer.rebuild(recordedAs: ip6, desired: ipTable, onNode: "node-0") == nil)
    }

    @Test func theIPv4LayoutIsTheIPv4OnlyClustersLayout() throws {
        let dual = NFTablesProxyRenderer(topology: try NFTablesProxyRendererTests.topology(IPv6.dualStack))
        let ipv4 = NFTablesProxyRenderer(topology: try NFTablesProxyRendererTests.topology(IPv6.ipv4Only))
        #expect(dual.layout(for: .ipv4) == ipv4.layout(for: .ipv4))
        // Another IPv6 cluster CIDR is another ip6 layout, the ip one untouched.
        let moved = NFTablesProxyRenderer(topology: try NFTablesProxyRendererTests.topology(
            IPv6.dualStack.replacingOccurrences(of: "fd00:200::/48", with: "fd00:300::/48")
                .replacingOccurrences(of: "fd00:200:", with: "fd00:300:").replacingOccurrences(of: "fd00:200::", with: "fd00:300::")))
        #expect(moved.layout(for: .ipv6) != dual.layout(for: .ipv6))
        #expect(moved.layout(for: .ipv4) == dual.layout(for: .ipv4))
    }
}
