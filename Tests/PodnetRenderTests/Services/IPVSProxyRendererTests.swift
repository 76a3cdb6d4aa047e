import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// The services example of TOPOLOGY.md (seed 003 §5) in ipvs mode.
@Suite struct IPVSProxyRendererTests {
    static let example = ServicesExample.text("network:\n  backend: vxlan\n  vxlan: { vni: 100, port: 4789, discovery: multicast, group: 239.1.1.1 }\nproxy:\n  mode: ipvs\nunderlay:\n  cidr: 192.168.64.0/24")

    static func topology(_ text: String) throws -> Topology {
        let result = TopologyLoader.load(text: text, file: "t.yaml")
        return try #require(result.topology, "\(result.diagnostics.map(\.message))")
    }

    static func objects(_ text: String, node name: String) throws -> IPVSProxyObjects {
        let topology = try topology(text)
        let node = try #require(topology.node(named: name))
        return IPVSProxyRenderer(topology: topology).objects(forNode: node, in: .named("lab.\(name)"))
    }

    @Test func theExampleOnNodeZero() throws {
        let objects = try Self.objects(Self.example, node: "node-0")
        let namespace = NamespaceRef.named("lab.node-0")
        let dummy = Link.ID(namespace, "kube-ipvs0")
        #expect(objects.links == [Link(id: dummy, kind: .dummy, up: false, mark: OwnershipMark(cluster: "lab", role: "node/node-0"))])
        #expect(objects.addresses == [Address(link: dummy, address: IPv4Prefix("10.96.0.2/32")!)])
        let id = IPVSService.ID(namespace: namespace, protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080)
        #expect(objects.services == [IPVSService(id: id, scheduler: "rr", destinations: [
            IPVSDestination(address: IPv4Address(10, 200, 0, 2), port: 8080, weight: 1, forwarding: .masquerade),
            IPVSDestination(address: IPv4Address(10, 200, 1, 2), port: 8080, weight: 1, forwarding: .masquerade),
        ])])
        #expect(objects.hairpins == [IPVSHairpin(endpoint: IPv4Address(10, 200, 0, 2), protocol: .tcp, port: 8080)])
        #expect(objects.rejections.isEmpty)
        #expect(objects.sysctls.map { "\($0.id.key)=\($0.value)" } == [
            "net.ipv4.vs.conntrack=1", "net.ipv4.vs.expire_nodest_conn=1", "net.ipv4.vs.expire_quiescent_template=1",
            "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
        ])
        #expect(objects.sysctls.allSatisfy { $0.id.namespace == namespace })
    }

    @Test func everyNodeHasTheServicesButOnlyItsOwnHairpins() throws {
        let one = try Self.objects(Self.example, node: "node-1")
        let two = try Self.objects(Self.example, node: "node-2")
        #expect(one.services.map(\.destinations) == two.services.map(\.destinations))
        #expect(one.hairpins == [IPVSHairpin(endpoint: IPv4Address(10, 200, 1, 2), protocol: .tcp, port: 8080)])
        #expect(two.hairpins.isEmpty)
        #expect(two.services.first?.id.namespace == .named("lab.node-2"))
    }

    @Test func aPortWithoutEndpointsIsAServiceWithoutDestinations() throws {
        let text = Self.example + """

          - name: nobody
            clusterIP: 10.96.0.3
            selector: { app: none }
            ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: UDP }]
        """
        let objects = try Self.objects(text, node: "node-0")
        #expect(objects.addresses.map(\.address.description) == ["10.96.0.2/32", "10.96.0.3/32"])
        let empty = objects.services.filter { $0.id.address == .v4(IPv4Address(10, 96, 0, 3)) }
        #expect(empty.map(\.id.description) == ["UDP 10.96.0.3:53", "TCP 10.96.0.3:80"])
        #expect(empty.allSatisfy { $0.destinations.isEmpty })
        #expect(objects.rejections.map(\.nftablesElement) == ["10.96.0.3 . udp . 53", "10.96.0.3 . tcp . 80"])
    }

    @Test func targetPortsAndProtocolsAreKept() throws {
        let text = Self.example.replacingOccurrences(of: "{ port: 8080, targetPort: 8080, protocol: TCP }",
                                                     with: "{ port: 80, targetPort: 8080 }\n      - { port: 53, targetPort: 5353, protocol: UDP }")
        let objects = try Self.objects(text, node: "node-0")
        #expect(objects.services.map(\.id.description) == ["UDP 10.96.0.2:53", "TCP 10.96.0.2:80"])
        #expect(objects.services.map { $0.destinations.map(\.id.description) } == [
            ["10.200.0.2:5353", "10.200.1.2:5353"], ["10.200.0.2:8080", "10.200.1.2:8080"],
        ])
        #expect(objects.hairpins.map { "\($0.protocol.rawValue) \($0.endpoint):\($0.port)" } == ["UDP 10.200.0.2:5353", "TCP 10.200.0.2:8080"])
    }

    @Test func otherProxyModesAndNoServicesGiveNothing() throws {
        let nftables = Self.example.replacingOccurrences(of: "mode: ipvs", with: "mode: nftables")
        #expect(try Self.objects(nftables, node: "node-0").isEmpty)
        let noServices = String(Self.example[..<Self.example.range(of: "services:")!.lowerBound])
        // Masquerade is on by default: its rule is all a node without services needs.
        #expect(try Self.objects(noServices, node: "node-0").podEgress == [IPPrefix("10.200.0.0/16")!])
        let bare = noServices.replacingOccurrences(of: "  backend: vxlan\n", with: "  backend: vxlan\n  masquerade: false\n")
        #expect(try Self.objects(bare, node: "node-0").isEmpty)
    }

    @Test func theLabRenderAlreadyRoutesBridgedTrafficThroughTheIPHooks() throws {
        let topology = try Self.topology(Self.example)
        let state = LabRenderer(topology: topology).render()
        #expect(state.sysctls[Sysctl.ID(namespace: .named("lab.node-0"), key: "net.bridge.bridge-nf-call-iptables")]?.value == "1")
    }

    @Test func theLabRenderHoldsEveryNodesIPVSObjects() throws {
        let topology = try Self.topology(Self.example)
        let state = LabRenderer(topology: topology).render()
        for node in topology.nodes {
            let namespace = NamespaceRef.named("lab.\(node.name)")
            let objects = IPVSProxyRenderer(topology: topology).objects(forNode: node, in: namespace)
            #expect(state.links[Link.ID(namespace, "kube-ipvs0")]?.kind == .dummy)
            #expect(objects.addresses.allSatisfy { state.addresses.contains($0) })
            #expect(objects.services.allSatisfy { state.ipvsServices[$0.id] == $0 })
            #expect(state.nftTables[NFTable.ID(namespace: namespace, family: .ip, name: "podnet-lab")]
                    == objects.nftTable(cluster: "lab", in: namespace))
        }
        #expect(state.ipvsServices.count == topology.nodes.count)
        // No other proxy mode's state.
        #expect(state.iptablesChains.isEmpty && state.iptablesRules.isEmpty)
    }

    @Test func hostModeHoldsTheNodesIPVSObjectsInTheCurrentNamespace() throws {
        let topology = try Self.topology(Self.example)
        let state = HostRenderer(topology: topology, node: topology.nodes[0], uplink: "eth0").render()
        #expect(state.links[Link.ID(.current, "kube-ipvs0")] != nil)
        #expect(state.ipvsServices.keys.map(\.namespace) == [.current])
    }

    @Test func masqueradeAddsPodEgressToTheTableEvenWithoutServices() throws {
        let masquerading = Self.example
        let objects = try Self.objects(masquerading, node: "node-0")
        #expect(objects.podEgress == [IPPrefix("10.200.0.0/16")!])
        let table = try #require(objects.nftTable(cluster: "lab", in: .named("lab.node-0")))
        #expect(table.chains["nat-postrouting"]?.rules.count == 3)
        #expect(table.chains["nat-postrouting"]?.rules.last?.expressions.last == .masquerade(flags: NFTNat.fullyRandom))
        #expect(objects.nftablesRuleset(table: "t").contains("\t\tip saddr 10.200.0.0/16 ip daddr != 10.200.0.0/16 masquerade\n"))
        let noServices = String(masquerading[..<masquerading.range(of: "services:")!.lowerBound])
        let alone = try Self.objects(noServices, node: "node-0")
        #expect(alone.services.isEmpty && alone.links.isEmpty)
        #expect(alone.nftTable(cluster: "lab", in: .named("lab.node-0"))?.chains["nat-postrouting"]?.rules.count == 3)
    }

    @Test func netfilterRulesAsNftAndIptables() {
        let entries = [IPVSHairpin(endpoint: IPv4Address(10, 200, 0, 3), protocol: .udp, port: 53),
                       IPVSHairpin(endpoint: IPv4Address(10, 200, 0, 2), protocol: .tcp, port: 8080)]
        let rejections = [IPVSRejection(address: IPv4Address(10, 96, 0, 3), protocol: .udp, port: 53),
                          IPVSRejection(address: IPv4Address(10, 96, 0, 3), protocol: .tcp, port: 80)]
        #expect(IPVSNFTablesRuleset.text(table: "podnet-lab", hairpins: entries, rejections: rejections) == """
            table ip podnet-lab {
            \tset hairpin {
            \t\ttype ipv4_addr . inet_proto . inet_service . ipv4_addr
            \t\telements = { 10.200.0.2 . tcp . 8080 . 10.200.0.2, 10.200.0.3 . udp . 53 . 10.200.0.3 }
            \t}
            \tset no-endpoint-services {
            \t\ttype ipv4_addr . inet_proto . inet_service
            \t\telements = { 10.96.0.3 . udp . 53, 10.96.0.3 . tcp . 80 }
            \t}
            \tset external-masquerade {
            \t\ttype ipv4_addr . inet_proto . inet_service
            \t}
            \tset no-local-endpoints {
            \t\ttype ipv4_addr . inet_proto . inet_service
            \t}
            \tchain nat-prerouting {
            \t\ttype nat hook prerouting priority dstnat; policy accept;
            \t\tip daddr . meta l4proto . th dport @external-masquerade meta mark set meta mark | 0x00004000
            \t}
            \tchain nat-postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t\tip daddr . meta l4proto . th dport . ip saddr @hairpin masquerade
            \t\tmeta mark & 0x00004000 != 0x00000000 masquerade
            \t}
            \tchain filter-input {
            \t\ttype filter hook input priority filter; policy accept;
            \t\tmeta l4proto tcp ip daddr . meta l4proto . th dport @no-endpoint-services reject with tcp reset
            \t\tip daddr . meta l4proto . th dport @no-endpoint-services reject
            \t\tip daddr . meta l4proto . th dport @no-local-endpoints drop
            \t}
            }

            """)
        #expect(!IPVSNFTablesRuleset.text(table: "t", hairpins: [], rejections: []).contains("elements"))
        #expect(IPVSRejection.iptablesRules(entries: rejections) == [
            "-A INPUT -d 10.96.0.3/32 -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable",
            "-A INPUT -d 10.96.0.3/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset",
        ])
        #expect(IPVSHairpin.iptablesRules(entries: entries) == [
            "-A POSTROUTING -s 10.200.0.2/32 -d 10.200.0.2/32 -p tcp -m tcp --dport 8080 -j MASQUERADE",
            "-A POSTROUTING -s 10.200.0.3/32 -d 10.200.0.3/32 -p udp -m udp --dport 53 -j MASQUERADE",
        ])
    }

    @Test func theNetfilterRulesAsPodnetsOwnTable() throws {
        let text = Self.example + """

          - { name: nobody, clusterIP: 10.96.0.3, selector: { app: none }, ports: [{ port: 80 }] }
        """
        let objects = try Self.objects(text, node: "node-0")
        let table = try #require(objects.nftTable(cluster: "lab", in: .named("lab.node-0")))
        #expect(table.id == NFTable.ID(namespace: .named("lab.node-0"), family: .ip, name: "podnet-lab"))
        #expect(table.chainNames == ["filter-input", "nat-postrouting", "nat-prerouting"])
        #expect(table.chains["filter-input"]?.base == NFTBaseChain(type: .filter, hook: .input, priority: 0))
        #expect(table.chains["nat-postrouting"]?.base == NFTBaseChain(type: .nat, hook: .postrouting, priority: 100))
        #expect(table.chains["filter-input"]?.rules.map { $0.expressions.last } == [.reject(.tcpReset), .reject(.portUnreachable), .verdict(.drop)])
        #expect(table.sets["hairpin"]?.elements == [NFTSetElement(key: [.ipv4(IPv4Address(10, 200, 0, 2)), .inetProto(6), .inetService(8080), .ipv4(IPv4Address(10, 200, 0, 2))])])
        #expect(table.sets["no-endpoint-services"]?.elements == [NFTSetElement(key: [.ipv4(IPv4Address(10, 96, 0, 3)), .inetProto(6), .inetService(80)])])
        #expect(IPVSProxyObjects().nftTable(cluster: "lab", in: .current) == nil)
    }
}
