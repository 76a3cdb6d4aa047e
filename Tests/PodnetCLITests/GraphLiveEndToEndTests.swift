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

    /// `graph --cluster NAME`: no file, the kernel alone. For a cluster without
    /// services (which only a file names), the picture is the file's, object for object.
    @Test(arguments: ["vxlan-static", "host-gw", "veth-pair", "nodeport-local", "dual-stack"])
    func theLiveClusterAloneDrawsWhatTheFileDraws(example: String) throws {
        try withTestCluster(example: example) { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            let fromFile = try PodnetBinary.run(["graph", "-o", "json", file.path])
            let live = try PodnetBinary.run(["graph", "-o", "json", "--cluster", cluster])
            #expect(live.status == 0, "\(live.stderr)")
            func objects(_ text: String, services: Bool) throws -> [String] {
                let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let nodes = (json["nodes"] as? [[String: Any]] ?? []).filter { services || $0["kind"] as? String != "service" }
                let edges = (json["edges"] as? [[String: Any]] ?? []).filter { services || $0["kind"] as? String != "endpoint" }
                return (nodes.map { "\($0["id"] ?? "") \($0["label"] ?? "")" } + edges.map { "\($0["from"] ?? "") → \($0["to"] ?? "") \($0["label"] ?? "")" }).sorted()
            }
            #expect(try objects(live.stdout, services: true) == objects(fromFile.stdout, services: false), "\(example)")
        }
    }

    /// `graph FILE --cluster NAME` is the issue's spelling of the live comparison: the
    /// same picture as `--live FILE`; another cluster's name is a usage mistake.
    @Test func aFileWithItsClusterIsTheLiveComparison() throws {
        try withTestCluster(example: "host-gw") { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try shell("ip -n \(cluster).node-0 route del 10.200.1.0/24").status == 0)
            let live = try PodnetBinary.run(["graph", "-o", "json", "--live", file.path])
            let named = try PodnetBinary.run(["graph", "-o", "json", "--cluster", cluster, file.path])
            #expect(named.status == 0 && named.stdout == live.stdout, "\(named.stderr)")
            #expect(named.stdout.contains("missing"))
            #expect(try PodnetBinary.run(["graph", "-o", "json", "--cluster", "someone-else", file.path]).status == 64)
        }
    }
}
