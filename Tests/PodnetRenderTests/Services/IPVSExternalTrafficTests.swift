import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// Traffic from outside in ipvs mode (issue 14): NodePorts on each node's address,
/// external IPs on `kube-ipvs0`, the traffic policies per node, and ClientIP
/// persistence. The service of TOPOLOGY.md's example: endpoints a0 (node-0) and b
/// (node-1); node-2 has none.
@Suite struct IPVSExternalTrafficTests {
    static let externalIP = IPv4Address(192, 168, 70, 10)

    /// The example with its service changed by `change` (the fields are set on the
    /// model: what a file says about them is the topology decoder's business).
    static func topology(_ change: (inout Service) -> Void) throws -> Topology {
        var topology = try IPVSProxyRendererTests.topology(IPVSProxyRendererTests.example)
        change(&topology.services[0])
        return topology
    }

    static func objects(_ topology: Topology, node name: String) throws -> IPVSProxyObjects {
        let node = try #require(topology.node(named: name))
        return IPVSProxyRenderer(topology: topology).objects(forNode: node, in: .named("lab.\(name)"))
    }

    static func nodePort(_ policy: TrafficPolicy = .cluster) -> (inout Service) -> Void {
        { service in
            service.type = .nodePort
            service.ports[0].nodePort = 30080
            service.externalTrafficPolicy = policy
        }
    }

    /// Each virtual server as `ADDRESS:PORT -> endpoint, …`.
    static func servers(_ objects: IPVSProxyObjects) -> [String] {
        objects.services.map { "\($0.id.address):\($0.id.port) -> " + $0.destinations.map(\.id.description).joined(separator: ", ") }
    }

    @Test func aNodePortIsAVirtualServerOnEachNodesOwnAddress() throws {
        let topology = try Self.topology(Self.nodePort())
        let both = "10.200.0.2:8080, 10.200.1.2:8080"
        #expect(Self.servers(try Self.objects(topology, node: "node-0")) == ["10.96.0.2:8080 -> \(both)", "192.168.64.4:30080 -> \(both)"])
        let two = try Self.objects(topology, node: "node-2")
        #expect(Self.servers(two) == ["10.96.0.2:8080 -> \(both)", "192.168.64.6:30080 -> \(both)"])
        // Not held by kube-ipvs0: the node's address is its eth0's already.
        #expect(two.addresses.map(\.address.description) == ["10.96.0.2/32"])
        // Cluster: marked for masquerade, on every node, endpoints or not.
        #expect(two.masqueradedExternal.map(\.nftablesElement) == ["192.168.64.6 . tcp . 30080"])
        #expect(two.noLocalEndpoints.isEmpty && two.rejections.isEmpty)
        #expect(two.services.allSatisfy { $0.flags.isEmpty && $0.timeout == 0 })
    }

    @Test func externalTrafficPolicyLocalUsesOnlyTheNodesEndpointsAndDropsWithoutOne() throws {
        let topology = try Self.topology(Self.nodePort(.local))
        let zero = try Self.objects(topology, node: "node-0")
        // The ClusterIP keeps every endpoint: the external policy is not the internal one.
        #expect(Self.servers(zero) == ["10.96.0.2:8080 -> 10.200.0.2:8080, 10.200.1.2:8080", "192.168.64.4:30080 -> 10.200.0.2:8080"])
        #expect(zero.masqueradedExternal.isEmpty && zero.noLocalEndpoints.isEmpty)
        #expect(Self.servers(try Self.objects(topology, node: "node-1")).last == "192.168.64.5:30080 -> 10.200.1.2:8080")
        let two = try Self.objects(topology, node: "node-2")
        #expect(Self.servers(two).last == "192.168.64.6:30080 -> ")
        #expect(two.noLocalEndpoints.map(\.nftablesElement) == ["192.168.64.6 . tcp . 30080"])
        #expect(two.masqueradedExternal.isEmpty && two.rejections.isEmpty)
    }

    @Test func externalIPsAreHeldByKubeIPVS0WithTheServicesPortsAndTheExternalPolicy() throws {
        let cluster = try Self.objects(try Self.topology { $0.externalIPs = [.v4(Self.externalIP)] }, node: "node-2")
        #expect(cluster.addresses.map(\.address.description) == ["10.96.0.2/32", "192.168.70.10/32"])
        #expect(Self.servers(cluster) == ["10.96.0.2:8080 -> 10.200.0.2:8080, 10.200.1.2:8080",
                                          "192.168.70.10:8080 -> 10.200.0.2:8080, 10.200.1.2:8080"])
        #expect(cluster.masqueradedExternal.map(\.nftablesElement) == ["192.168.70.10 . tcp . 8080"])
        let local = try Self.topology {
            $0.externalIPs = [.v4(Self.externalIP)]
            $0.externalTrafficPolicy = .local
        }
        #expect(try Self.objects(local, node: "node-2").noLocalEndpoints.map(\.nftablesElement) == ["192.168.70.10 . tcp . 8080"])
        #expect(Self.servers(try Self.objects(local, node: "node-1")).last == "192.168.70.10:8080 -> 10.200.1.2:8080")
    }

    @Test func internalTrafficPolicyLocalKeepsTheClusterIPOnTheNode() throws {
        let topology = try Self.topology { $0.internalTrafficPolicy = .local }
        #expect(Self.servers(try Self.objects(topology, node: "node-0")) == ["10.96.0.2:8080 -> 10.200.0.2:8080"])
        #expect(Self.servers(try Self.objects(topology, node: "node-1")) == ["10.96.0.2:8080 -> 10.200.1.2:8080"])
        let two = try Self.objects(topology, node: "node-2")
        #expect(Self.servers(two) == ["10.96.0.2:8080 -> "])
        // Dropped as kube-proxy's other modes drop it; refused only without any endpoint.
        #expect(two.noLocalEndpoints.map(\.nftablesElement) == ["10.96.0.2 . tcp . 8080"])
        #expect(two.rejections.isEmpty)
    }

    @Test func clientIPAffinityMakesEveryVirtualServerOfTheServicePersistent() throws {
        let topology = try Self.topology {
            Self.nodePort()(&$0)
            $0.externalIPs = [.v4(Self.externalIP)]
            $0.sessionAffinity = .clientIP(timeoutSeconds: 600)
        }
        let objects = try Self.objects(topology, node: "node-1")
        #expect(objects.services.count == 3)
        #expect(objects.services.allSatisfy { $0.flags == [.persistent] && $0.timeout == 600 })
        #expect(IPVSProxyRenderer.persistence(.clientIP(timeoutSeconds: SessionAffinity.defaultTimeoutSeconds)) == ([.persistent], 10800))
    }

    @Test func aServiceWithoutEndpointsRefusesOnItsNodePortsAndExternalIPsToo() throws {
        let topology = try Self.topology {
            Self.nodePort(.local)(&$0)
            $0.externalIPs = [.v4(Self.externalIP)]
            $0.endpoints = []
        }
        let objects = try Self.objects(topology, node: "node-0")
        #expect(objects.rejections.map(\.nftablesElement) == ["10.96.0.2 . tcp . 8080", "192.168.64.4 . tcp . 30080", "192.168.70.10 . tcp . 8080"])
        #expect(objects.noLocalEndpoints.isEmpty && objects.masqueradedExternal.isEmpty)
    }

    @Test func aNodePortServiceWhosePortHasNoNodePortYetGetsNone() throws {
        let topology = try Self.topology { $0.type = .nodePort }
        #expect(Self.servers(try Self.objects(topology, node: "node-0")).count == 1)
    }

    @Test func theTableMarksDropsAndMasqueradesWhatTheSetsHold() throws {
        let topology = try Self.topology {
            Self.nodePort()(&$0)
            $0.externalIPs = [.v4(Self.externalIP)]
            $0.externalTrafficPolicy = .cluster
            $0.internalTrafficPolicy = .local
        }
        let objects = try Self.objects(topology, node: "node-2")
        let table = try #require(objects.nftTable(cluster: "lab", in: .named("lab.node-2")))
        #expect(table.chainNames == ["filter-input", "nat-postrouting", "nat-prerouting"])
        #expect(table.chains["nat-prerouting"]?.base == NFTBaseChain(type: .nat, hook: .prerouting, priority: -100))
        #expect(table.chains["nat-prerouting"]?.rules.map(\.expressions) == [
            NFTExpression.serviceTuple + [NFTExpression.setMembership("external-masquerade")] + NFTExpression.markSetting(0x4000),
        ])
        #expect(table.chains["nat-postrouting"]?.rules.count == 3)
        #expect(table.chains["filter-input"]?.rules.last?.expressions.last == .verdict(.drop))
        let element = { (address: IPv4Address, port: UInt16) in NFTSetElement(key: [.ipv4(address), .inetProto(6), .inetService(port)]) }
        #expect(table.sets["external-masquerade"]?.elements == [element(IPv4Address(192, 168, 64, 6), 30080), element(Self.externalIP, 8080)])
        #expect(table.sets["no-local-endpoints"]?.elements == [element(IPv4Address(10, 96, 0, 2), 8080)])
        let text = objects.nftablesRuleset(table: "podnet-lab")
        #expect(text.contains("""
            \tset external-masquerade {
            \t\ttype ipv4_addr . inet_proto . inet_service
            \t\telements = { 192.168.64.6 . tcp . 30080, 192.168.70.10 . tcp . 8080 }
            \t}
            \tset no-local-endpoints {
            \t\ttype ipv4_addr . inet_proto . inet_service
            \t\telements = { 10.96.0.2 . tcp . 8080 }
            \t}
            \tchain nat-prerouting {
            \t\ttype nat hook prerouting priority dstnat; policy accept;
            \t\tip daddr . meta l4proto . th dport @external-masquerade meta mark set meta mark | 0x00004000
            \t}
            """))
        #expect(text.contains("\t\tmeta mark & 0x00004000 != 0x00000000 masquerade\n"))
        #expect(text.contains("\t\tip daddr . meta l4proto . th dport @no-local-endpoints drop\n"))
    }
}
