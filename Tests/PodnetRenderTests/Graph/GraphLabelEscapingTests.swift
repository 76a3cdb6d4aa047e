import Foundation
import PodnetRender
import Testing

/// Labels are text from the user's file: each format must keep them text.
@Suite struct GraphLabelEscapingTests {
    static let nasty = "say \"hi\" \\ <b>&amp;</b> #1 | a\nb"

    static let graph = ClusterGraph(cluster: "c\"1", nodes: [
        .init(id: "pod:x\"y", kind: .pod, label: [nasty], kernelNames: ["k\\n"], group: "node:n"),
        .init(id: "node:n", kind: .node, label: ["n"], group: "node:n"),
    ], edges: [.init(from: "node:n", to: "pod:x\"y", kind: .veth, label: nasty)])

    @Test func dotEscapesQuotesBackslashesAndLineBreaks() {
        #expect(GraphDOTRenderer.quoted(Self.nasty) == #""say \"hi\" \\ <b>&amp;</b> #1 | a\nb""#)
        let dot = GraphDOTRenderer.render(Self.graph)
        #expect(dot.contains(#""pod:x\"y" [label="say \"hi\" \\ <b>&amp;</b> #1 | a\nb""#))
        #expect(dot.hasPrefix(#"graph "c\"1" {"#))
        // No raw line break inside a statement: each line of the output is one statement.
        #expect(!dot.contains("a\nb"))
    }

    @Test func mermaidUsesEntityCodes() {
        #expect(GraphMermaidRenderer.escaped(Self.nasty)
                == "say #quot;hi#quot; \\ #lt;b#gt;#amp;amp;#lt;/b#gt; #35;1 #124; a<br/>b")
        let mermaid = GraphMermaidRenderer.render(Self.graph)
        #expect(!mermaid.contains("\"hi\""))
        #expect(!mermaid.contains("<b>"))
        #expect(mermaid.contains("n1 ===|\"say #quot;hi#quot;"))
    }

    @Test func jsonEscapesAndRoundTrips() throws {
        #expect(GraphJSONRenderer.string("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\u0001""#)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(GraphJSONRenderer.render(Self.graph).utf8)) as? [String: Any])
        #expect(json["cluster"] as? String == "c\"1")
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        #expect(nodes[0]["id"] as? String == "pod:x\"y")
        #expect(nodes[0]["label"] as? [String] == [Self.nasty])
        #expect(nodes[0]["kernelNames"] as? [String] == ["k\\n"])
        let edges = try #require(json["edges"] as? [[String: Any]])
        #expect(edges[0]["label"] as? String == Self.nasty)
    }
}
