import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// Traffic from outside the cluster in proxy mode nftables (issue 14): NodePorts,
/// external IPs, the two traffic policies and ClientIP affinity, laid out as
/// kube-proxy's nftables mode lays them out.
@Suite struct NFTablesExternalTrafficTests {
    typealias Names = NFTablesProxyNames

    /// Three nodes; the service's endpoints a (node-0) and b (node-1); node-2 has none.
    static func topology(_ change: (inout Service) -> Void = { _ in }) -> Topology {
        let cluster = IPv4Prefix("10.200.0.0/16")!
        let nodes = (0..<3).map { index in
            Node(name: "node-\(index)", address: IPv4Address(192, 168, 64, UInt8(4 + index)),
                 podCIDR: cluster.subnet(length: 24, index: UInt64(index))!, bridge: "cni0")
        }
        let pods = [Pod(name: "a", node: "node-0", ip: IPv4Address(10, 200, 0, 2)),
                    Pod(name: "b", node: "node-1", ip: IPv4Address(10, 200, 1, 2)),
                    Pod(name: "c", node: "node-2", ip: IPv4Address(10, 200, 2, 2))]
        var service = Service(name: "web", clusterIP: IPv4Address(10, 96, 0, 10), selector: nil, endpoints: ["a", "b"],
                              ports: [ServicePort(port: 80, targetPort: 8080, nodePort: 30080)], type: .nodePort)
        change(&service)
        return Topology(name: "lab", clusterCIDR: cluster, serviceCIDR: IPv4Prefix("10.96.0.0/12")!,
                        network: Network(backend: .hostGW), proxy: Proxy(mode: .nftables), underlay: Underlay(),
                        nodes: nodes, pods: pods, links: [], services: [service])
    }

    static func table(_ topology: Topology, node: Int) throws -> NFTable {
        try #require(NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[node], in: .named("lab.node-\(node)")))
    }

    static func texts(_ table: NFTable, _ chain: String) throws -> [String] {
        try #require(table.chains[chain], "no chain \(chain)").rules.map { NFTSyntax.text(of: $0) ?? "(not expressible)" }
    }

    static let port = ServicePort(port: 80, targetPort: 8080, nodePort: 30080)
    static let service = Names.serviceChain(service: "web", port: port)
    static let external = Names.externalChain(service: "web", port: port)
    static let local = Names.localChain(service: "web", port: port)
    static func endpoint(_ address: IPv4Address) -> String { Names.endpointChain(service: "web", port: port, endpointIP: address) }
    static let a = IPv4Address(10, 200, 0, 2), b = IPv4Address(10, 200, 1, 2)
    static let nodePortKey: [NFTValue] = [.tcp, .inetService(30080)]

    @Test func aClusterNodePortMasqueradesAndSpreadsOverEveryEndpointOnEveryNode() throws {
        let topology = Self.topology()
        let tables = try (0..<3).map { try Self.table(topology, node: $0) }
        for table in tables {
            #expect(table.sets[Names.serviceNodePorts]?.elements == [NFTSetElement(key: Self.nodePortKey, data: .verdict(.goto(Self.external)))])
            #expect(try Self.texts(table, Self.external) == ["jump mark-for-masquerade", "goto \(Self.service)"])
            #expect(try Self.texts(table, Self.service).last == "numgen random mod 2 vmap { 0 : goto \(Self.endpoint(Self.a)), 1 : goto \(Self.endpoint(Self.b)) }")
            #expect(table.chains[Self.local] == nil)
            #expect(table.sets[Names.noEndpointNodePorts]?.elements == [])
        }
        // Nothing depends on the node: the same table everywhere.
        #expect(tables[0].chains == tables[2].chains && tables[0].sets == tables[2].sets)
    }

    @Test func aLocalNodePortKeepsTheClientsAddressAndUsesOnlyTheNodesEndpoints() throws {
        let topology = Self.topology { $0.externalTrafficPolicy = .local }
        let node0 = try Self.table(topology, node: 0)
        #expect(try Self.texts(node0, Self.external) == [
            "ip saddr 10.200.0.0/16 goto \(Self.service) comment \"pod traffic: any endpoint\"",
            "fib saddr type local jump mark-for-masquerade comment \"the node's own traffic: masquerade, any endpoint\"",
            "fib saddr type local goto \(Self.service)",
            "goto \(Self.local)",
        ])
        #expect(try Self.texts(node0, Self.local) == ["numgen random mod 1 vmap { 0 : goto \(Self.endpoint(Self.a)) }"])
        #expect(node0.sets[Names.noEndpointNodePorts]?.elements == [])
        let node1 = try Self.table(topology, node: 1)
        #expect(try Self.texts(node1, Self.local) == ["numgen random mod 1 vmap { 0 : goto \(Self.endpoint(Self.b)) }"])
        // ClusterIP traffic is not external: it still goes to every endpoint.
        #expect(node1.sets[Names.serviceIPs]?.elements == [
            NFTSetElement(key: [.ipv4(IPv4Address(10, 96, 0, 10)), .tcp, .inetService(80)], data: .verdict(.goto(Self.service))),
        ])
    }

    @Test func aLocalNodePortAtANodeWithoutLocalEndpointsIsDroppedNotRejected() throws {
        let node2 = try Self.table(Self.topology { $0.externalTrafficPolicy = .local }, node: 2)
        #expect(node2.chains[Self.local] == nil)
        // Pods and the node itself still reach the service through its NodePort.
        #expect(try Self.texts(node2, Self.external).count == 3)
        #expect(node2.sets[Names.noEndpointNodePorts]?.elements == [NFTSetElement(key: Self.nodePortKey, data: .verdict(.drop))])
    }

    @Test func externalIPsAreDispatchedLikeTheNodePort() throws {
        let external = IPv4Address(192, 168, 99, 10)
        let topology = Self.topology {
            $0.externalIPs = [.v4(external)]
            $0.externalTrafficPolicy = .local
        }
        let key: [NFTValue] = [.ipv4(external), .tcp, .inetService(80)]
        let node0 = try Self.table(topology, node: 0)
        #expect(node0.sets[Names.serviceIPs]?.elements.contains(NFTSetElement(key: key, data: .verdict(.goto(Self.external)))) == true)
        let node2 = try Self.table(topology, node: 2)
        #expect(node2.sets[Names.serviceIPs]?.elements.contains(NFTSetElement(key: key, data: .verdict(.goto(Self.external)))) == true)
        #expect(node2.sets[Names.noEndpointServices]?.elements == [NFTSetElement(key: key, data: .verdict(.drop))])
        // An external IP alone makes a ClusterIP service reachable from outside.
        let clusterIPOnly = Self.topology {
            $0.type = .clusterIP
            $0.ports = [ServicePort(port: 80, targetPort: 8080)]
            $0.externalIPs = [.v4(external)]
        }
        let table = try Self.table(clusterIPOnly, node: 0)
        #expect(table.sets[Names.serviceNodePorts]?.elements == [])
        #expect(try Self.texts(table, Names.externalChain(service: "web", port: ServicePort(port: 80, targetPort: 8080))).count == 2)
    }

    @Test func internalTrafficPolicyLocalKeepsClusterIPTrafficOnTheNode() throws {
        let topology = Self.topology { $0.internalTrafficPolicy = .local }
        let clusterKey: [NFTValue] = [.ipv4(IPv4Address(10, 96, 0, 10)), .tcp, .inetService(80)]
        let node1 = try Self.table(topology, node: 1)
        #expect(node1.sets[Names.serviceIPs]?.elements == [NFTSetElement(key: clusterKey, data: .verdict(.goto(Self.local)))])
        #expect(try Self.texts(node1, Self.local) == ["numgen random mod 1 vmap { 0 : goto \(Self.endpoint(Self.b)) }"])
        let node2 = try Self.table(topology, node: 2)
        #expect(node2.sets[Names.serviceIPs]?.elements == [])
        #expect(node2.sets[Names.noEndpointServices]?.elements == [NFTSetElement(key: clusterKey, data: .verdict(.drop))])
        // The NodePort still reaches every endpoint (externalTrafficPolicy Cluster).
        #expect(node2.sets[Names.serviceNodePorts]?.elements == [NFTSetElement(key: Self.nodePortKey, data: .verdict(.goto(Self.external)))])
    }

    @Test func clientIPAffinityRemembersTheClientPerEndpoint() throws {
        let table = try Self.table(Self.topology { $0.sessionAffinity = .clientIP(timeoutSeconds: 10800) }, node: 0)
        let affinityA = Names.affinitySet(service: "web", port: Self.port, endpointIP: Self.a)
        let affinityB = Names.affinitySet(service: "web", port: Self.port, endpointIP: Self.b)
        let set = try #require(table.sets[affinityA])
        #expect(NFTSyntax.setDefinition(set, in: table.id) == "set ip podnet-lab \(affinityA) { type ipv4_addr ; flags timeout, dynamic ; timeout 3h ; }")
        #expect(set.isFilledByPackets)
        #expect(try Self.texts(table, Self.endpoint(Self.a)) == [
            "ip saddr 10.200.0.2 jump mark-for-masquerade",
            "update @\(affinityA) { ip saddr }",
            "meta l4proto tcp dnat to 10.200.0.2:8080",
        ])
        #expect(try Self.texts(table, Self.service) == [
            "ip saddr != 10.200.0.0/16 jump mark-for-masquerade",
            "ip saddr @\(affinityA) goto \(Self.endpoint(Self.a))",
            "ip saddr @\(affinityB) goto \(Self.endpoint(Self.b))",
            "numgen random mod 2 vmap { 0 : goto \(Self.endpoint(Self.a)), 1 : goto \(Self.endpoint(Self.b)) }",
        ])
        // Without affinity, no set and no update.
        let plain = try Self.table(Self.topology(), node: 0)
        #expect(!plain.sets.keys.contains { $0.hasPrefix("affinity-") })
        #expect(try Self.texts(plain, Self.endpoint(Self.a)).count == 2)
    }

    @Test func aNodePortWithoutEndpointsIsRejected() throws {
        let table = try Self.table(Self.topology { $0.endpoints = [] }, node: 0)
        #expect(table.sets[Names.noEndpointNodePorts]?.elements == [NFTSetElement(key: Self.nodePortKey, data: .verdict(.goto(Names.reject)))])
        #expect(table.chains[Self.external] == nil)
    }

    @Test func everyRuleCanBeWrittenInNftSyntax() throws {
        let topology = Self.topology {
            $0.externalIPs = [.v4(IPv4Address(192, 168, 99, 10))]
            $0.externalTrafficPolicy = .local
            $0.internalTrafficPolicy = .local
            $0.sessionAffinity = .clientIP(timeoutSeconds: 60)
        }
        for node in 0..<3 {
            for chain in try Self.table(topology, node: node).chains.values {
                for rule in chain.rules { #expect(NFTSyntax.text(of: rule) != nil, "\(chain.name): \(rule)") }
            }
        }
    }

    @Test func anExternalChainNamesItsServicePort() {
        #expect(Names.servicePort(ofExternalChain: Self.external)! == ("web", "tcp", 80))
        #expect(Names.servicePort(ofExternalChain: Self.service) == nil)
    }

    /// Sticky NodePorts: what a live table (or its record) holds is read back for allocation.
    @Test func theNodePortsOfALiveClusterAreReadFromItsTablesAndRecords() throws {
        let topology = Self.topology { $0.ports.append(ServicePort(port: 53, protocol: .udp, nodePort: 31053)) }
        let table = try Self.table(topology, node: 0)
        var live = KernelState()
        live.insert(table)
        let expected = ["web/TCP/80": 30080, "web/UDP/53": 31053]
        #expect(LiveAssignmentsReader.assignments(in: live, cluster: "lab").nodePorts == expected)
        #expect(LiveAssignmentsReader.assignments(in: live, cluster: "other").nodePorts == [:])
        var recorded = KernelState()
        recorded.nftRecords[table.id] = NFTablesProxyRenderer(topology: topology).record()
        #expect(LiveAssignmentsReader.assignments(in: recorded, cluster: "lab").nodePorts == expected)
    }
}
