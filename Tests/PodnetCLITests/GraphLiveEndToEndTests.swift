import Foundation
import Testing

/// `podnet graph --live` on a real cluster: what was changed by hand is marked.
@Suite(.serialized) struct GraphLiveEndToEndTests {
    static func marks(_ outcome: PodnetBinary.Outcome) throws -> (nodes: [String: String], edges: [String: String]) {
        let graph = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        var nodes: [String: String] = [:], edges: [String: String] = [:]
        for node in graph["nodes"] as? [[String: Any]] ?? [] {
            if let mark = node["mark"] as? String { nodes[node["id"] as? String ?? ""] = mark }
        }
        for edge in graph["edges"] as? [[String: Any]] ?? [] {
            if let mark = edge["mark"] as? String { edges["\(edge["from"] ?? "") -- \(edge["to"] ?? "")"] = mark }
        }
        return (nodes, edges)
    }

    @Test func aDeletedRouteIsMissingAndAHandMadeLinkExtra() throws {
        try withTestCluster(example: "lab") { cluster, file in
            let apply = try PodnetBinary.run(["apply", file.path])
            try #require(apply.status == 0, "\(apply.stderr)")
            let clean = try Self.marks(try PodnetBinary.run(["graph", "--live", "-o", "json", file.path]))
            #expect(clean.nodes.isEmpty && clean.edges.isEmpty, "a fresh apply differs: \(clean)")

            try #require(try shell("ip -n \(cluster).node-0 route del 10.200.1.0/24").status == 0)
            try #require(try shell("ip -n \(cluster).node-1 link add pnt6x type bridge").status == 0)
            let outcome = try PodnetBinary.run(["graph", "--live", "-o", "json", file.path])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let marks = try Self.marks(outcome)
            #expect(marks.edges["tunnel:node-0/vxlan0 -- node:node-1"] == "missing")
            #expect(marks.nodes["link:\(cluster).node-1/pnt6x"] == "extra")
            #expect(marks.nodes.count == 1, "\(marks.nodes)")

            let dot = try PodnetBinary.run(["graph", "--live", "-o", "dot", file.path])
            #expect(dot.stdout.contains("cluster_legend"))
            #expect(dot.stdout.contains("(missing) 10.200.1.0/24 via 10.200.1.0 dev vxlan0"))
        }
    }
}
