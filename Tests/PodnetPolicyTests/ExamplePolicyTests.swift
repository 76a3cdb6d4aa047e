import Foundation
import PodnetPolicy
import PodnetTopology
import Testing

/// The NetworkPolicy examples in topologies/ say in their header what each policy
/// allows and denies; the evaluator must agree with every line of it.
@Suite struct ExamplePolicyTests {
    static let topologies = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("topologies")

    static func evaluator(_ file: String) throws -> PolicyEvaluator {
        let text = try String(contentsOf: topologies.appendingPathComponent(file), encoding: .utf8)
        let result = TopologyLoader.load(text: text, file: file)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.message))")
        return PolicyEvaluator(topology: try #require(result.topology))
    }

    @Test func denyAll() throws {
        let evaluator = try Self.evaluator("netpol-deny-all.yaml")
        #expect(!evaluator.isAllowed(from: .pod("tool"), to: .pod("web"), port: 80))
        #expect(!evaluator.isAllowed(from: .pod("web"), to: .pod("tool"), port: 80))
        #expect(!evaluator.isAllowed(from: .pod("web"), to: .pod("db"), port: 80))
        #expect(evaluator.isAllowed(from: .pod("tool"), to: .pod("other"), port: 80))
        #expect(evaluator.isAllowed(from: .node("node-0"), to: .pod("web"), port: 80))
        #expect(!evaluator.isAllowed(from: .node("node-1"), to: .pod("web"), port: 80))
    }

    @Test func allowFromNamespace() throws {
        let evaluator = try Self.evaluator("netpol-allow-from-namespace.yaml")
        #expect(evaluator.isAllowed(from: .pod("web"), to: .pod("db"), port: 5432))
        #expect(!evaluator.isAllowed(from: .pod("web"), to: .pod("db"), port: 9187))
        #expect(evaluator.isAllowed(from: .pod("scraper"), to: .pod("db"), port: 9187))
        #expect(!evaluator.isAllowed(from: .pod("scraper"), to: .pod("db"), port: 5432))
        #expect(!evaluator.isAllowed(from: .pod("idle"), to: .pod("db"), port: 9187))
        #expect(!evaluator.isAllowed(from: .pod("tool"), to: .pod("db"), port: 5432))
    }

    @Test func egressWithIPBlock() throws {
        let evaluator = try Self.evaluator("netpol-egress-ipblock.yaml")
        let outside = PolicyEndpoint.address(try #require(evaluator.topology.clients[0].address(.ipv4)))
        #expect(evaluator.isAllowed(from: .pod("api"), to: .pod("cache"), port: 6379))
        #expect(evaluator.isAllowed(from: .pod("api"), to: outside, port: 443))
        #expect(evaluator.isAllowed(from: .pod("api"), to: outside, port: 8080))
        #expect(!evaluator.isAllowed(from: .pod("api"), to: outside, port: 80))
        #expect(evaluator.isAllowed(from: .pod("api"), to: outside, port: 53, protocol: .udp))
        #expect(!evaluator.isAllowed(from: .pod("api"), to: .pod("tool"), port: 443))
        #expect(!evaluator.isAllowed(from: .pod("tool"), to: .pod("api"), port: 443))
        #expect(evaluator.isAllowed(from: .pod("cache"), to: .pod("api"), port: 443))
    }
}
