import Foundation
import PodnetAddress
@testable import podnet
import PodnetRender
import PodnetTopology
import Testing

/// What `show` lists of NodePorts and external IPs, from the tables a lab renders
/// (as the kernel would hold them after an apply).
@Suite struct ExternalTrafficViewTests {
    static func topology(_ example: String) throws -> Topology {
        let text = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/\(example).yaml"), encoding: .utf8)
        let result = TopologyLoader.load(text: text, file: "\(example).yaml")
        return try #require(result.topology, "\(result.diagnostics.map(\.message))")
    }

    /// Local: every node dispatches the NodePort to web's external chain; node-0, with
    /// no endpoint, also drops it, and the drop is named after the service.
    @Test func nodePortsAreListedPerServiceWithTheNodesHoldingThem() throws {
        let topology = try Self.topology("nodeport-local")
        let view = ExternalTrafficView(cluster: topology.name, state: LabRenderer(topology: topology).render(), topology: nil)
        #expect(view.entries.map { "\($0.kind) \($0.address ?? "*"):\($0.port)/\($0.protocol) \($0.service ?? "-"):\($0.servicePort ?? 0) \($0.target)" } == [
            "nodePort *:30080/tcp web:80 external-LXBWVMQP-web/tcp/80",
            "nodePort *:30080/tcp web:80 drop",
        ])
        #expect(view.entries[0].namespaces == ["nplocal.node-0", "nplocal.node-1", "nplocal.node-2"])
        #expect(view.entries[1].namespaces == ["nplocal.node-0"])
        #expect(view.services == nil)
        let text = view.text(cluster: "nplocal").joined(separator: "\n\n")
        #expect(text.contains("*:30080/tcp             web:80   node-0                dropped (no local endpoint)"), "\(text)")
    }

    /// iptables mode: the NodePorts of KUBE-NODEPORTS, and of the filter's drop at a
    /// node without a local endpoint.
    @Test func iptablesNodePortsAreListedFromTheirRules() throws {
        var topology = try Self.topology("nodeport-local")
        topology.proxy.mode = .iptables
        let view = ExternalTrafficView(cluster: topology.name, state: LabRenderer(topology: topology).render(), topology: nil)
        #expect(view.entries.map { "\($0.address ?? "*"):\($0.port)/\($0.protocol) \($0.service ?? "-"):\($0.servicePort ?? 0) \($0.target) \($0.namespaces.count)" } == [
            "*:30080/tcp web:80 KUBE-NODEPORTS 3",
            "*:30080/tcp web:80 refused or dropped (KUBE-EXTERNAL-SERVICES) 1",
        ])
    }

    /// External IPs are listed, ClusterIPs are not; with the file, the services table.
    @Test func externalIPsAndTheFilesServices() throws {
        let topology = try Self.topology("external-ips")
        let view = ExternalTrafficView(cluster: topology.name, state: LabRenderer(topology: topology).render(), topology: topology)
        #expect(view.entries.map(\.kind) == ["externalIP"])
        #expect(view.entries.first?.address == "203.0.113.10")
        #expect(view.entries.first?.service == "web")
        let text = view.text(cluster: "extips").joined(separator: "\n\n")
        #expect(text.contains("web      ClusterIP  10.96.0.1   203.0.113.10  80/TCP→8080  Cluster          Cluster          ClientIP 600s"), "\(text)")
        #expect(text.contains("api      ClusterIP  10.96.0.2   -             80/TCP→8080  Cluster          Local            None"), "\(text)")
    }
}

/// A listener's line as check reads it: who answered, and the source it saw.
@Suite struct ListenerAnswerTests {
    @Test func theLineNamesTheAnswererAndTheSourceItSaw() {
        #expect(ProbeRun.answer("web-1 192.168.64.7") == .answered("web-1", source: IPAddress("192.168.64.7")!))
        #expect(ProbeRun.answer("web-1 fd00:64::7") == .answered("web-1", source: IPAddress("fd00:64::7")!))
        #expect(ProbeRun.answer("web-1") == .answered("web-1"))
        // Not an address: the answerer still counts, the source is unknown.
        #expect(ProbeRun.answer("web-1 somewhere") == .answered("web-1", source: nil))
    }
}
