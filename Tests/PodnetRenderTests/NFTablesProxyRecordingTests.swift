import PodnetAddress
import PodnetKernelModel
import PodnetPlan
@testable import PodnetRender
import PodnetTopology
import Testing

/// A record of the inputs stands for the table they render: rebuilding the old table
/// from the new one and the old record gives exactly what rendering the old
/// topology gives, whatever changed between the two.
@Suite struct NFTablesProxyRecordingTests {
    static func topology(services: [Service], masquerade: Bool = false, clusterCIDR: String = "10.200.0.0/16") -> Topology {
        let cluster = IPv4Prefix(clusterCIDR)!
        let nodes = (0..<2).map { index in
            Node(name: "node-\(index)", address: IPv4Address(192, 168, 64, UInt8(4 + index)),
                 podCIDR: cluster.subnet(length: 24, index: UInt64(index))!, bridge: "cni0")
        }
        let pods = (0..<8).map { index in
            Pod(name: "p\(index)", node: nodes[index % 2].name, ip: nodes[index % 2].podCIDR!.first.advanced(by: 2 + index / 2)!)
        }
        return Topology(name: "lab", clusterCIDR: cluster, serviceCIDR: IPv4Prefix("10.96.0.0/12")!,
                        network: Network(backend: .hostGW, masquerade: masquerade), proxy: Proxy(mode: .nftables),
                        underlay: Underlay(), nodes: nodes, pods: pods, links: [], services: services)
    }

    static func service(_ name: String, _ ip: UInt8, endpoints: [String], ports: [ServicePort] = [ServicePort(port: 80, targetPort: 8080)]) -> Service {
        Service(name: name, clusterIP: IPv4Address(10, 96, 0, ip), selector: nil, endpoints: endpoints, ports: ports)
    }

    static let before = [
        service("web", 10, endpoints: ["p0", "p1", "p2"]),
        service("dns", 11, endpoints: ["p3"], ports: [ServicePort(port: 53, protocol: .udp), ServicePort(port: 53)]),
        service("idle", 12, endpoints: []),
        service("db", 13, endpoints: ["p4", "p5"], ports: [ServicePort(port: 5432)]),
    ]

    static func table(_ topology: Topology, node: Int = 0) -> NFTable {
        NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[node], in: .named("lab.node-\(node)"))!
    }

    /// `service` made a NodePort service on `nodePort`.
    static func nodePort(_ service: Service, _ nodePort: Int) -> Service {
        var service = service
        service.type = .nodePort
        service.ports = service.ports.enumerated().map { index, port in
            var port = port
            port.nodePort = nodePort + index
            return port
        }
        return service
    }

    /// Every kind of change a service can go through, one at a time and all at once.
    static let afters: [(String, [Service])] = {
        var endpointGone = before; endpointGone[0].endpoints.removeLast()
        var endpointAdded = before; endpointAdded[3].endpoints.append("p6")
        var portChanged = before; portChanged[0].ports = [ServicePort(port: 81, targetPort: 8080)]
        var portAdded = before; portAdded[3].ports.append(ServicePort(port: 5433, protocol: .udp))
        var ipChanged = before; ipChanged[1].clusterIP = IPv4Address(10, 96, 0, 99)
        var lastEndpointGone = before; lastEndpointGone[1].endpoints = []
        var firstEndpoint = before; firstEndpoint[2].endpoints = ["p7"]
        var serviceGone = before; serviceGone.remove(at: 1)
        var serviceAdded = before; serviceAdded.append(service("new", 20, endpoints: ["p0", "p7"]))
        var everything = serviceAdded; everything.remove(at: 0); everything[0].endpoints = ["p6"]; everything[1].endpoints = ["p1"]
        // Traffic from outside (issue 14): p0, p2 are on node-0, p1 on node-1.
        var madeNodePort = before; madeNodePort[0] = nodePort(before[0], 30080)
        var nodePortMoved = madeNodePort; nodePortMoved[0] = nodePort(before[0], 30090)
        var local = madeNodePort; local[0].externalTrafficPolicy = .local
        var localEndpointGone = local; localEndpointGone[0].endpoints = ["p1"]
        var internalLocal = before; internalLocal[3].internalTrafficPolicy = .local
        var affinity = madeNodePort; affinity[0].sessionAffinity = .clientIP(timeoutSeconds: 10800)
        var affinityTimeout = affinity; affinityTimeout[0].sessionAffinity = .clientIP(timeoutSeconds: 60)
        var externalIP = before; externalIP[1].externalIPs = [.v4(IPv4Address(192, 168, 99, 10))]
        var externalLocal = externalIP; externalLocal[1].externalTrafficPolicy = .local
        var idleNodePort = before; idleNodePort[2] = nodePort(before[2], 30100)
        var outside = local; outside[1] = externalLocal[1]; outside[3] = internalLocal[3]; outside[0].sessionAffinity = .clientIP(timeoutSeconds: 5)
        return [("nothing", before), ("an endpoint gone", endpointGone), ("an endpoint added", endpointAdded),
                ("a port changed", portChanged), ("a port added", portAdded), ("a ClusterIP changed", ipChanged),
                ("the last endpoint gone", lastEndpointGone), ("a first endpoint", firstEndpoint),
                ("a service gone", serviceGone), ("a service added", serviceAdded), ("all at once", everything),
                ("made a NodePort", madeNodePort), ("a NodePort moved", nodePortMoved), ("externalTrafficPolicy Local", local),
                ("a local endpoint gone", localEndpointGone), ("internalTrafficPolicy Local", internalLocal),
                ("ClientIP affinity", affinity), ("an affinity timeout changed", affinityTimeout), ("an external IP", externalIP),
                ("an external IP, Local", externalLocal), ("a NodePort without endpoints", idleNodePort),
                ("traffic from outside, all at once", outside)]
    }()

    /// On each node: with a `Local` policy the two nodes' tables differ.
    @Test(arguments: afters.indices, [0, 1])
    func theOldTableIsRebuiltFromTheNewOneAndTheOldRecord(_ index: Int, node: Int) throws {
        let (change, after) = Self.afters[index]
        let old = Self.topology(services: Self.before), new = Self.topology(services: after)
        let name = "node-\(node)"
        let record = NFTablesProxyRenderer(topology: old).record()
        let rebuilt = NFTablesProxyRenderer(topology: new).rebuild(recordedAs: record, desired: Self.table(new, node: node), onNode: name)?.table
        #expect(rebuilt == Self.table(old, node: node), "\(change) on \(name)")
        // And the way back.
        let forward = NFTablesProxyRenderer(topology: old).rebuild(recordedAs: NFTablesProxyRenderer(topology: new).record(),
                                                                   desired: Self.table(old, node: node), onNode: name)?.table
        #expect(forward == Self.table(new, node: node), "\(change), backwards, on \(name)")
    }

    /// A diff told which chains a rebuilt table may differ in plans exactly what a diff
    /// of every chain plans.
    @Test(arguments: afters.indices)
    func aDiffOfTheDifferingChainsAloneMakesTheSameChanges(_ index: Int) throws {
        let (change, after) = Self.afters[index]
        let old = Self.topology(services: Self.before), new = Self.topology(services: after)
        let desired = Self.table(new)
        let rebuilt = try #require(NFTablesProxyRenderer(topology: new).rebuild(recordedAs: NFTablesProxyRenderer(topology: old).record(),
                                                                               desired: desired, onNode: "node-0"))
        let hinted = NFTablesDiff.changes(live: rebuilt.table, desired: desired, differingChains: rebuilt.differingChains)
        #expect(hinted == NFTablesDiff.changes(live: Self.table(old), desired: desired), "\(change)")
        #expect(index == 0 ? hinted.isEmpty : !hinted.isEmpty, "\(change)")
    }

    @Test func aRecordOfAnotherLayoutStandsForNothing() {
        let record = NFTablesProxyRenderer(topology: Self.topology(services: Self.before)).record()
        for other in [Self.topology(services: Self.before, masquerade: true),
                      Self.topology(services: Self.before, clusterCIDR: "10.201.0.0/16")] {
            let renderer = NFTablesProxyRenderer(topology: other)
            #expect(renderer.layout() != record.layout)
            #expect(renderer.rebuild(recordedAs: record, desired: Self.table(other), onNode: "node-0") == nil)
        }
        var renamed = Self.topology(services: Self.before)
        renamed.name = "lab2"
        #expect(NFTablesProxyRenderer(topology: renamed).layout() != record.layout)
    }

    @Test func theLayoutIsTheSameForTheSameTopologyWhateverItsServices() {
        #expect(NFTablesProxyRenderer(topology: Self.topology(services: Self.before)).layout()
                == NFTablesProxyRenderer(topology: Self.topology(services: [])).layout())
    }

    @Test func aServiceLineReadsBackAsItsInputs() throws {
        let ports = [ServicePort(port: 53, protocol: .udp), ServicePort(port: 80, targetPort: 8080)]
        let endpoints = [IPv4Address(10, 200, 0, 2), IPv4Address(10, 200, 1, 2)].map { NFTablesServiceInputs.Endpoint(address: $0) }
        let service = NFTablesServiceInputs(name: "web", clusterIP: IPv4Address(10, 96, 0, 10), ports: ports, endpoints: endpoints)
        let line = NFTablesProxyRenderer.line(service)
        #expect(line == "10.96.0.10 53:53/udp,80:8080/tcp 10.200.0.2,10.200.1.2")
        #expect(NFTablesProxyRenderer.inputs(ofLine: line, service: "web") == service)
        let empty = NFTablesProxyRenderer.line(NFTablesServiceInputs(name: "e", clusterIP: IPv4Address(10, 96, 0, 11), ports: [], endpoints: []))
        #expect(empty == "10.96.0.11 - -")
        #expect(NFTablesProxyRenderer.inputs(ofLine: empty, service: "e").map { $0.ports.isEmpty && $0.endpoints.isEmpty } == true)
        for garbage in ["", "10.96.0.10", "10.96.0.10 80 -", "10.96.0.10 80:80/sctp -", "x - -", "10.96.0.10 - 10.1",
                        "10.96.0.10 80:80/tcp@x -", "10.96.0.10 80:80/tcp@1@2 -", "10.96.0.10 - 10.0.0.1@a@b",
                        "10.96.0.10 - - etp=Cluster", "10.96.0.10 - - ext=10.1", "10.96.0.10 - - affinity=", "10.96.0.10 - - x=1"] {
            #expect(NFTablesProxyRenderer.inputs(ofLine: garbage, service: "g") == nil, "\(garbage)")
        }
    }

    @Test func trafficFromOutsideIsInTheLine() throws {
        let service = NFTablesServiceInputs(
            name: "web", clusterIP: IPv4Address(10, 96, 0, 10),
            ports: [ServicePort(port: 80, targetPort: 8080, nodePort: 30080), ServicePort(port: 53, protocol: .udp, nodePort: 30053)],
            endpoints: [.init(address: IPv4Address(10, 200, 0, 2), node: "node-0"), .init(address: IPv4Address(10, 200, 1, 2), node: "node-1")],
            externalIPs: [IPv4Address(192, 168, 99, 10), IPv4Address(192, 168, 99, 11)],
            externalTrafficPolicy: .local, internalTrafficPolicy: .local, affinityTimeoutSeconds: 600)
        let line = NFTablesProxyRenderer.line(service)
        #expect(line == "10.96.0.10 80:8080/tcp@30080,53:53/udp@30053 10.200.0.2@node-0,10.200.1.2@node-1 "
                + "ext=192.168.99.10,192.168.99.11 etp=Local itp=Local affinity=600")
        #expect(NFTablesProxyRenderer.inputs(ofLine: line, service: "web") == service)
    }

    @Test func aServiceTurnedLocalRecordsItsEndpointsNodes() throws {
        var service = Service(name: "web", clusterIP: IPv4Address(10, 96, 0, 10), selector: nil, endpoints: ["a"],
                              ports: [ServicePort(port: 80, nodePort: 30080)], type: .nodePort)
        let pod = Pod(name: "a", node: "node-1", ip: IPv4Address(10, 200, 1, 2))
        #expect(NFTablesServiceInputs(service: service, endpoints: [pod], family: .ipv4)?.endpoints == [.init(address: .v4(pod.ip!))])
        service.externalTrafficPolicy = .local
        #expect(NFTablesServiceInputs(service: service, endpoints: [pod], family: .ipv4)?.endpoints == [.init(address: .v4(pod.ip!), node: "node-1")])
        // A ClusterIP service has no external traffic: its externalTrafficPolicy and any
        // nodePort given are without effect, as in Kubernetes.
        service.type = .clusterIP
        let inputs = try #require(NFTablesServiceInputs(service: service, endpoints: [pod], family: .ipv4))
        #expect(inputs.externalTrafficPolicy == .cluster && inputs.ports[0].nodePort == nil && inputs.endpoints[0].node == nil)
    }

    @Test func anUnreadableLineInARecordStandsForNothing() {
        let topology = Self.topology(services: Self.before)
        var record = NFTablesProxyRenderer(topology: topology).record()
        record.services["web"] = "10.96.0.10 eighty -"
        #expect(NFTablesProxyRenderer(topology: topology).rebuild(recordedAs: record, desired: Self.table(topology), onNode: "node-0") == nil)
    }

    @Test func theRecordFileReadsBackAsWritten() throws {
        let record = NFTablesProxyRenderer(topology: Self.topology(services: Self.before)).record()
        let file = NFTablesRecordFile(bootID: "6b1c", namespaceCookie: 4097, generation: 4_000_000_000, record: record)
        #expect(file.text.hasPrefix("podnet-nftables-record 1\nboot 6b1c\ncookie 4097\ngeneration 4000000000\nlayout "))
        #expect(file.text.contains("\ndb 10.96.0.13 5432:5432/tcp 10.200.0.4,10.200.1.4\n"))
        #expect(file.text.hasSuffix("\nend 4\n"))
        #expect(NFTablesRecordFile(text: file.text[...]) == file)
        // Cut anywhere, even between two lines, it reads as nothing: never as fewer services.
        let lines = file.text.split(separator: "\n")
        for count in 0..<lines.count {
            let cut = lines.prefix(count).joined(separator: "\n") + "\n"
            #expect(NFTablesRecordFile(text: cut[...]) == nil, "\(count) lines")
        }
        #expect(NFTablesRecordFile(text: String(file.text.dropLast(file.text.count / 2))[...]) == nil)
        // Cut at any byte short of the whole, the same.
        let bytes = file.bytes
        for count in 0..<bytes.count {
            #expect(bytes.prefix(count).withUnsafeBufferPointer { NFTablesRecordFile(utf8: $0) } == nil, "\(count) bytes")
        }
        #expect(bytes.withUnsafeBufferPointer { NFTablesRecordFile(utf8: $0) } == file)
        for garbage in ["", "podnet-nftables-record 2\n", "podnet-nftables-record 1\nboot b\ncookie x\ngeneration 1\nlayout a\nend 0\n",
                        "podnet-nftables-record 1\nboot b\ncookie 1\ngeneration 1\nlayout a\nnospace\nend 1\n",
                        "podnet-nftables-record 1\nboot b\ncookie 1\ngeneration 1\nlayout a\nweb 1 2 3\nweb 1 2 3\nend 2\n",
                        // Nothing but what the writer writes: no blank line, numbers as
                        // written. (A service line the renderer cannot read makes
                        // `rebuild` give up instead: see above.)
                        "podnet-nftables-record 1\nboot b\ncookie 1\ngeneration 1\nlayout a\n\nend 0\n",
                        "podnet-nftables-record 1\nboot b\ncookie +1\ngeneration 1\nlayout a\nend 0\n",
                        "podnet-nftables-record 1\nboot b\ncookie 1\ngeneration 01\nlayout a\nend 0\n"] {
            #expect(NFTablesRecordFile(text: garbage[...]) == nil, "\(garbage)")
        }
        #expect(NFTablesRecordFile(text: "podnet-nftables-record 1\nboot b\ncookie 1\ngeneration 1\nlayout a\nend 0\n")?.record.services == [:])
    }
}
