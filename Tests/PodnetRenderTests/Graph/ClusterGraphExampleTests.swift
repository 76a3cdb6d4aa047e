import Foundation
import PodnetKernelModel
import PodnetRender
import PodnetTopology
import Testing

/// Every object of every example in topologies/ appears in each format of `podnet graph`.
@Suite struct ClusterGraphExampleTests {
    static let topologies = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("topologies")

    static let examples: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: topologies.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    static func topology(_ name: String) throws -> Topology {
        let text = try String(contentsOf: topologies.appendingPathComponent(name), encoding: .utf8)
        let result = TopologyLoader.load(text: text, file: name)
        return try #require(result.topology, "\(name): \(result.diagnostics.map(\.message))")
    }

    /// What a reader must find in the picture: each name, and each veth end's kernel name.
    static func expectedNames(_ topology: Topology) -> [String] {
        let state = LabRenderer(topology: topology).render()
        let veths = state.links.values.compactMap { link -> String? in
            guard case .veth = link.kind, link.id.name != KernelNames.podInterface else { return nil }
            return link.id.name
        }
        let tunnels = state.links.values.compactMap { link -> String? in
            switch link.kind {
            case .vxlan, .ipip, .sit: return link.id.name
            default: return nil
            }
        }
        return topology.nodes.map(\.name) + topology.nodes.compactMap(\.bridge) + topology.pods.map(\.name)
            + topology.pods.compactMap { $0.ip.map { "\($0)" } } + topology.clients.map(\.name) + topology.services.map(\.name)
            + topology.services.compactMap { $0.clusterIP.map { "\($0)" } } + topology.services.flatMap { $0.externalIPs.map { "\($0)" } }
            // A dual-stack cluster's IPv6 side: pods' and nodes' addresses, pod CIDRs, ClusterIPs.
            + topology.pods.compactMap { $0.ipv6.map { "\($0)" } } + topology.services.compactMap { $0.clusterIPv6.map { "\($0)" } }
            + topology.nodes.compactMap { $0.podCIDRv6.map { "\($0)" } } + topology.nodes.compactMap { $0.addressV6.map { "\($0)" } }
            + topology.services.flatMap { $0.ports.compactMap(\.nodePort).map { "NodePort \($0)" } }
            + veths + tunnels + [KernelNames.underlayBridge]
    }

    @Test func thereAreExamples() { #expect(Self.examples.count >= 10) }

    @Test(arguments: examples) func everyObjectIsInEachFormat(example: String) throws {
        let topology = try Self.topology(example)
        let graph = ClusterGraphBuilder(topology: topology).build()
        let outputs = ["dot": GraphDOTRenderer.render(graph), "mermaid": GraphMermaidRenderer.render(graph),
                       "json": GraphJSONRenderer.render(graph)]
        for name in Self.expectedNames(topology) {
            for (format, text) in outputs { #expect(text.contains(name), "\(example) -o \(format): no \(name)") }
        }
    }

    @Test(arguments: examples) func theGraphHasOneNodePerObjectAndEdgesEndInNodes(example: String) throws {
        let topology = try Self.topology(example)
        let graph = ClusterGraphBuilder(topology: topology).build()
        let ids = graph.nodes.map(\.id)
        #expect(Set(ids).count == ids.count, "duplicate ids in \(example)")
        #expect(graph.nodes.filter { $0.kind == .pod }.count == topology.pods.count)
        #expect(graph.nodes.filter { $0.kind == .node }.count == topology.nodes.count)
        #expect(graph.nodes.filter { $0.kind == .client }.count == topology.clients.count)
        #expect(graph.nodes.filter { $0.kind == .service }.count == topology.services.count)
        #expect(graph.nodes.filter { $0.kind == .bridge }.count == topology.nodes.compactMap(\.bridge).count)
        for edge in graph.edges {
            #expect(ids.contains(edge.from) && ids.contains(edge.to), "\(example): edge \(edge.from) -- \(edge.to)")
        }
        // Every pod is joined to something: its bridge, its link partner, or (bridge-less, alone) its node.
        for pod in topology.pods {
            let id = ClusterGraphBuilder.podID(pod.name)
            #expect(graph.edges.contains { ($0.from == id || $0.to == id) && $0.kind != .endpoint }, "\(example): \(pod.name) alone")
        }
    }

    @Test(arguments: examples) func jsonParsesAndCountsMatch(example: String) throws {
        let graph = ClusterGraphBuilder(topology: try Self.topology(example)).build()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(GraphJSONRenderer.render(graph).utf8)) as? [String: Any])
        #expect((json["nodes"] as? [[String: Any]])?.count == graph.nodes.count)
        #expect((json["edges"] as? [[String: Any]])?.count == graph.edges.count)
    }

    @Test func theLabShowsPodVethsTunnelsRoutesAndEndpoints() throws {
        let graph = ClusterGraphBuilder(topology: try Self.topology("lab.yaml")).build()
        let veth = try #require(graph.edges.first { $0.from == "pod:a0" })
        #expect(veth.kind == .veth && veth.to == "bridge:node-0/cni0")
        #expect(veth.label == "eth0 ↔ \(KernelNames.peerEnd(of: "a0")) (pod-a0)")
        #expect(graph.node(id: "tunnel:node-0/vxlan0")?.group == "node:node-0")
        let route = try #require(graph.edges.first { $0.kind == .route && $0.from == "tunnel:node-0/vxlan0" })
        #expect(route.to == "node:node-1")
        #expect(route.label == "10.200.1.0/24 via 10.200.1.0 dev vxlan0")
        let endpoints = graph.edges.filter { $0.kind == .endpoint }.map(\.to)
        #expect(endpoints == ["pod:a0", "pod:b0"])
    }

    @Test func aDirectLinkJoinsTwoPodsAndHostGWRoutesLeaveTheNode() throws {
        let veth = ClusterGraphBuilder(topology: try Self.topology("veth-pair.yaml")).build()
        #expect(veth.edges.contains { $0.kind == .veth && $0.from == "pod:a0" && $0.to == "pod:a1" })
        let hostGW = ClusterGraphBuilder(topology: try Self.topology("host-gw.yaml")).build()
        #expect(hostGW.nodes.allSatisfy { $0.kind != .tunnel })
        #expect(hostGW.edges.contains { $0.kind == .route && $0.from.hasPrefix("node:") })
    }
}
