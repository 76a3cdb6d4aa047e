import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// The services example of TOPOLOGY.md (seed 003 §5) in proxy mode nftables.
@Suite struct NFTablesProxyRendererTests {
    static let servicesExample = ServicesExample.text("network: { backend: host-gw }\nproxy: { mode: nftables }")

    static func topology(_ text: String = servicesExample) throws -> Topology {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        return try #require(result.topology, "\(result.diagnostics.map(\.message))")
    }

    static func table(_ text: String = servicesExample, node: String = "node-0") throws -> NFTable {
        let topology = try topology(text)
        let node = try #require(topology.node(named: node))
        return try #require(NFTablesProxyRenderer(topology: topology).table(forNode: node, in: .named("lab.\(node.name)")))
    }

    /// The rules of a chain as nft prints them.
    static func texts(_ table: NFTable, _ chain: String) throws -> [String] {
        try #require(table.chains[chain]).rules.map { NFTSyntax.text(of: $0) ?? "(not expressible)" }
    }

    typealias Names = NFTablesProxyNames

    @Test func oneTableNamedAfterTheCluster() throws {
        let table = try Self.table()
        #expect(table.id == NFTable.ID(namespace: .named("lab.node-0"), family: .ip, name: "podnet-lab"))
        #expect(NFTable.cluster(ownerOf: table.id.name) == "lab")
    }

    @Test func servicesAreDispatchedFromPreroutingAndOutputThroughTheMap() throws {
        let table = try Self.table()
        #expect(table.chains[Names.natPrerouting]?.base == NFTBaseChain(type: .nat, hook: .prerouting, priority: -100))
        #expect(table.chains[Names.natOutput]?.base == NFTBaseChain(type: .nat, hook: .output, priority: -100))
        #expect(try Self.texts(table, Names.natPrerouting) == ["jump services"])
        #expect(try Self.texts(table, Names.natOutput) == ["jump services"])
        #expect(try Self.texts(table, Names.services) == [
            "ip daddr . meta l4proto . th dport vmap @service-ips",
            "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
        ])
        let map = try #require(table.sets[Names.serviceIPs])
        #expect(map.keyType == [.ipv4Address, .inetProto, .inetService])
        #expect(map.dataType == .verdict)
        let chain = Names.serviceChain(service: "kube-svc-1", port: ServicePort(port: 8080))
        #expect(chain.hasPrefix("service-") && chain.hasSuffix("-kube-svc-1/tcp/8080") && chain.count == "service-".count + 9 + 19)
        #expect(map.elements == [NFTSetElement(key: [.ipv4(IPv4Address(10, 96, 0, 2)), .tcp, .inetService(8080)],
                                               data: .verdict(.goto(chain)))])
        #expect(NFTSyntax.elementText(map.elements[0]) == "10.96.0.2 . tcp . 8080 : goto \(chain)")
    }

    @Test func aServicePortChoosesAnEndpointAtRandom() throws {
        let table = try Self.table()
        let port = ServicePort(port: 8080)
        let service = Names.serviceChain(service: "kube-svc-1", port: port)
        let a0 = Names.endpointChain(service: "kube-svc-1", port: port, endpoint: Pod(name: "a0", node: "node-0", ip: IPv4Address(10, 200, 0, 2)))
        let b = Names.endpointChain(service: "kube-svc-1", port: port, endpoint: Pod(name: "b", node: "node-1", ip: IPv4Address(10, 200, 1, 2)))
        #expect(a0.hasSuffix("-kube-svc-1/tcp/8080__10.200.0.2/8080"))
        #expect(try Self.texts(table, service) == [
            "ip saddr != 10.200.0.0/16 jump mark-for-masquerade",
            "numgen random mod 2 vmap { 0 : goto \(a0), 1 : goto \(b) }",
        ])
        #expect(try Self.texts(table, a0) == [
            "ip saddr 10.200.0.2 jump mark-for-masquerade",
            "meta l4proto tcp dnat to 10.200.0.2:8080",
        ])
        #expect(try Self.texts(table, b) == [
            "ip saddr 10.200.1.2 jump mark-for-masquerade",
            "meta l4proto tcp dnat to 10.200.1.2:8080",
        ])
    }

    @Test func markedTrafficIsMasqueradedAndPodEgressToo() throws {
        let table = try Self.table()
        #expect(table.chains[Names.natPostrouting]?.base == NFTBaseChain(type: .nat, hook: .postrouting, priority: 100))
        #expect(try Self.texts(table, Names.natPostrouting) == ["jump masquerading", "jump pod-egress"])
        #expect(try Self.texts(table, Names.markForMasquerade) == ["meta mark set meta mark | 0x00004000"])
        #expect(try Self.texts(table, Names.masquerading) == [
            "meta mark & 0x00004000 == 0x00000000 return",
            "meta mark set meta mark ^ 0x00004000",
            "masquerade fully-random",
        ])
        #expect(try Self.texts(table, Names.podEgress) == [
            "ip saddr 10.200.0.0/16 ip daddr != 10.200.0.0/16 masquerade fully-random",
        ])
    }

    @Test func newConnectionsStillForAClusterIPAfterDNATAreRejected() throws {
        let table = try Self.table()
        for name in [Names.filterPreroutingPostDNAT, Names.filterOutputPostDNAT] {
            #expect(table.chains[name]?.base?.priority == -90)
            #expect(table.chains[name]?.base?.type == .filter)
            #expect(try Self.texts(table, name) == ["ct state new jump endpoints-check", "ct state new jump cluster-ips-check"])
        }
        #expect(try Self.texts(table, Names.endpointsCheck) == [
            "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
            "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports",
        ])
        // TCP refused with a reset (an ICMP error can be dropped while connect() holds the socket).
        #expect(try Self.texts(table, Names.clusterIPsCheck) == [
            "ip daddr @cluster-ips reject with tcp reset comment \"a port that is not one of the service's\"",
            "ip daddr @cluster-ips reject comment \"a port that is not one of the service's\"",
        ])
        #expect(try Self.texts(table, Names.reject) == ["reject with tcp reset", "reject"])
        #expect(table.sets[Names.clusterIPs]?.elements == [NFTSetElement(key: [.ipv4(IPv4Address(10, 96, 0, 2))])])
        #expect(table.sets[Names.noEndpointServices]?.elements == [])
    }

    @Test func aServiceWithoutEndpointsGoesToTheRejectChain() throws {
        let text = Self.servicesExample + """

          - name: empty
            clusterIP: 10.96.0.3
            endpoints: []
            ports:
              - { port: 53, protocol: UDP }
        """
        let table = try Self.table(text)
        #expect(table.sets[Names.noEndpointServices]?.elements == [
            NFTSetElement(key: [.ipv4(IPv4Address(10, 96, 0, 3)), .udp, .inetService(53)], data: .verdict(.goto(Names.reject))),
        ])
        #expect(table.sets[Names.clusterIPs]?.elements.count == 2)
        #expect(!table.chains.keys.contains { $0.contains("empty/") })
    }

    @Test func targetPortsAndSeveralPortsEachGetTheirChains() throws {
        let text = Self.servicesExample.replacingOccurrences(
            of: "- { port: 8080, targetPort: 8080, protocol: TCP }",
            with: "- { port: 80, targetPort: 8080 }\n      - { port: 53, protocol: UDP }")
        let table = try Self.table(text)
        #expect(table.sets[Names.serviceIPs]?.elements.count == 2)
        let udp = Names.endpointChain(service: "kube-svc-1", port: ServicePort(port: 53, protocol: .udp),
                                      endpoint: Pod(name: "b", node: "node-1", ip: IPv4Address(10, 200, 1, 2)))
        #expect(try Self.texts(table, udp).last == "meta l4proto udp dnat to 10.200.1.2:53")
        let tcp = Names.endpointChain(service: "kube-svc-1", port: ServicePort(port: 80, targetPort: 8080),
                                      endpoint: Pod(name: "b", node: "node-1", ip: IPv4Address(10, 200, 1, 2)))
        #expect(try Self.texts(table, tcp).last == "meta l4proto tcp dnat to 10.200.1.2:8080")
    }

    @Test func withoutMasqueradeThereIsNoPodEgress() throws {
        let text = Self.servicesExample.replacingOccurrences(of: "network: { backend: host-gw }",
                                                             with: "network: { backend: host-gw, masquerade: false }")
        let table = try Self.table(text)
        #expect(table.chains[Names.podEgress] == nil)
        #expect(try Self.texts(table, Names.natPostrouting) == ["jump masquerading"])
    }

    @Test func noTableInOtherProxyModesOrWithNothingToDo() throws {
        for mode in ["iptables", "ipvs"] {
            let topology = try Self.topology(Self.servicesExample.replacingOccurrences(of: "mode: nftables", with: "mode: \(mode)"))
            #expect(NFTablesProxyRenderer(topology: topology).table(forNode: topology.nodes[0], in: .current) == nil)
        }
        let bare = try Self.topology("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        network: { backend: host-gw, masquerade: false }
        nodes: [ { name: node-0 } ]
        """)
        #expect(NFTablesProxyRenderer(topology: bare).table(forNode: bare.nodes[0], in: .current) == nil)
        let masqueradeOnly = try Self.topology("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        network: { backend: host-gw }
        nodes: [ { name: node-0 } ]
        """)
        let table = try #require(NFTablesProxyRenderer(topology: masqueradeOnly).table(forNode: masqueradeOnly.nodes[0], in: .current))
        #expect(table.chains[Names.podEgress] != nil)
        #expect(table.sets[Names.serviceIPs]?.elements == [])
    }

    @Test func everyNodeGetsTheSameTableAndRenderingIsDeterministic() throws {
        let node0 = try Self.table(node: "node-0")
        let node2 = try Self.table(node: "node-2")
        #expect(node0.chains == node2.chains && node0.sets == node2.sets)
        #expect(try Self.table(node: "node-0") == node0)
        // Every rule of the table can be written in nft syntax.
        for chain in node0.chains.values {
            for rule in chain.rules { #expect(NFTSyntax.text(of: rule) != nil, "\(chain.name): \(rule)") }
        }
    }

    @Test func chainNameHashesAreStableBase32() {
        #expect(NFTablesProxyNames.hash("kube-svc-1/tcp/8080") == NFTablesProxyNames.hash("kube-svc-1/tcp/8080"))
        #expect(NFTablesProxyNames.hash("kube-svc-1/tcp/8080") != NFTablesProxyNames.hash("kube-svc-1/tcp/8081"))
        #expect(NFTablesProxyNames.hash("x").allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
    }
}
