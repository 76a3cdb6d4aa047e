import Foundation
import FoundationXML
import Testing

/// `podnet graph`, run as a user would.
@Suite struct GraphCommandTests {
    static let dotInstalled = ((ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":"))
        .contains { FileManager.default.isExecutableFile(atPath: "\($0)/dot") }

    static let examples: [String] = ((try? FileManager.default.contentsOfDirectory(
        atPath: PodnetBinary.repository.appendingPathComponent("topologies").path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { "topologies/\($0)" }

    /// The lab's objects, by the names and kernel names the picture must show.
    static let labObjects = ["node-0", "node-1", "cni0", "vxlan0", "a0", "a1", "b0", "b1", "web", "10.96.0.1",
                             "underlay", "pod-a0", "pod-b1", "node-node-0"]

    @Test func dotNamesEveryObjectOfTheLab() throws {
        let outcome = try PodnetBinary.run(["graph", "-o", "dot", "topologies/lab.yaml"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("graph \"lab\" {"))
        for name in Self.labObjects { #expect(outcome.stdout.contains(name), "no \(name)") }
    }

    @Test(.enabled(if: dotInstalled, "Graphviz's dot is not installed"), arguments: examples)
    func svgIsValidXMLWithEveryObject(example: String) throws {
        let outcome = try PodnetBinary.run(["graph", "-o", "svg", example])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let document = try XMLDocument(data: Data(outcome.stdout.utf8))
        #expect(document.rootElement()?.name == "svg")
        // Every drawn text, line by line, as Graphviz wrote it in <text> elements.
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        let json = try PodnetBinary.run(["graph", "-o", "json", example])
        let graph = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let nodes = try #require(graph["nodes"] as? [[String: Any]])
        for node in nodes {
            for line in node["label"] as? [String] ?? [] { #expect(texts.contains(line), "\(example): no \(line)") }
        }
        for edge in graph["edges"] as? [[String: Any]] ?? [] {
            if let label = edge["label"] as? String { #expect(texts.contains(label), "\(example): no edge \(label)") }
        }
    }

    @Test func svgWithoutDotSaysSoAndExitsOne() throws {
        let outcome = try PodnetBinary.run(["graph", "-o", "svg", "topologies/lab.yaml"], path: "/nonexistent")
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("needs Graphviz's dot program"))
        #expect(outcome.stdout.isEmpty)
    }

    @Test func withoutDotTheDefaultIsDOT() throws {
        let outcome = try PodnetBinary.run(["graph", "topologies/lab.yaml"], path: "/nonexistent")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("graph \"lab\" {"))
    }

    @Test func mermaidAndJSON() throws {
        let mermaid = try PodnetBinary.run(["graph", "-o", "mermaid", "topologies/lab.yaml"])
        #expect(mermaid.status == 0)
        #expect(mermaid.stdout.hasPrefix("flowchart TB\n"))
        let json = try PodnetBinary.run(["graph", "-o", "json", "topologies/lab.yaml"])
        let graph = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(graph["cluster"] as? String == "lab")
    }

    @Test func anInvalidFileExitsOneWithItsDiagnostics() throws {
        let outcome = try PodnetBinary.run(["graph", "Tests/PodnetTopologyTests/Fixtures/invalid/unknown-key-podCidr.yaml"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("unknown key 'podCidr'"))
        #expect(try PodnetBinary.run(["graph", "-o", "png", "topologies/lab.yaml"]).status == 64)
    }
}
