import PodnetRender
import PodnetTopology
import Testing

/// Live differences land on the element that stands for their kernel object.
@Suite struct ClusterGraphMarkingTests {
    static func lab() throws -> ClusterGraph {
        ClusterGraphBuilder(topology: try ClusterGraphExampleTests.topology("lab.yaml")).build()
    }

    @Test func noDifferencesNoMarks() throws {
        let graph = try Self.lab().marking([])
        #expect(!graph.hasMarks)
        #expect(!GraphDOTRenderer.render(graph).contains("cluster_legend"))
    }

    @Test func eachObjectMarksItsElement() throws {
        let graph = try Self.lab().marking([
            .init(.missing, .namespace("lab.a1")),
            .init(.changed, .link(namespace: "lab.node-0", name: "cni0")),
            .init(.missing, .route(namespace: "lab.node-1", destination: "10.200.0.0/24")),
            .init(.changed, .link(namespace: "lab.b0", name: "eth0")),
        ])
        #expect(graph.node(id: "pod:a1")?.mark == .missing)
        #expect(graph.node(id: "bridge:node-0/cni0")?.mark == .changed)
        #expect(graph.edges.first { $0.kind == .route && $0.from == "tunnel:node-1/vxlan0" }?.mark == .missing)
        #expect(graph.edges.first { $0.from == "pod:b0" && $0.kind == .veth }?.mark == .changed)
        #expect(graph.node(id: "pod:a0")?.mark == nil)
        let dot = GraphDOTRenderer.render(graph)
        #expect(dot.contains("cluster_legend"))
        #expect(dot.contains("a1\\neth0 10.200.0.3\\nnetns lab.a1\\n(missing)"))
        #expect(GraphJSONRenderer.render(graph).contains("\"id\": \"pod:a1\", \"kind\": \"pod\""))
        #expect(GraphMermaidRenderer.render(graph).contains("podnet_missing"))
    }

    @Test func missingOutranksChangedAndUnknownObjectsMarkTheirNamespace() throws {
        let graph = try Self.lab().marking([
            .init(.missing, .namespace("lab.node-1")),
            .init(.changed, .namespace("lab.node-1")),
            .init(.changed, .route(namespace: "lab.a0", destination: "0.0.0.0/0")),
        ])
        #expect(graph.node(id: "node:node-1")?.mark == .missing)
        #expect(graph.node(id: "pod:a0")?.mark == .changed)
    }

    @Test func extraLinksAndNamespacesAreDrawn() throws {
        let graph = try Self.lab().marking([
            .init(.extra, .link(namespace: "lab.node-0", name: "dummy7")),
            .init(.extra, .namespace("lab.old-pod")),
        ])
        let link = try #require(graph.node(id: "link:lab.node-0/dummy7"))
        #expect(link.mark == .extra && link.group == "node:node-0" && link.kind == .link)
        #expect(graph.edges.contains { $0.from == "node:node-0" && $0.to == link.id && $0.mark == .extra })
        #expect(graph.node(id: "namespace:lab.old-pod")?.mark == .extra)
        #expect(GraphMermaidRenderer.render(graph).contains("dummy7"))
    }
}
