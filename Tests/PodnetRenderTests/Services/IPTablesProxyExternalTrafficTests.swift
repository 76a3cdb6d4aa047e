import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// Traffic from outside in kube-proxy's iptables layout, on TOPOLOGY.md's services
/// example (kube-svc-1's endpoints a0 on node-0 and b on node-1; node-2 has none),
/// the service's new fields set in code.
@Suite struct IPTablesProxyExternalTrafficTests {
    typealias Names = IPTablesProxyNames

    static let name = "lab/kube-svc-1:8080"
    static let svc = Names.serviceChain(portName: name, protocol: .tcp)
    static let svl = Names.localServiceChain(portName: name, protocol: .tcp)
    static let ext = Names.externalChain(portName: name, protocol: .tcp)
    static let sepA0 = Names.endpointChain(portName: name, protocol: .tcp, endpoint: "10.200.0.2:8080")
    static let sepB = Names.endpointChain(portName: name, protocol: .tcp, endpoint: "10.200.1.2:8080")
    static let clusterIPMatch = "-d 10.96.0.2/32 -p tcp -m comment --comment \"\(name) cluster IP\" -m tcp --dport 8080"
    static let masquerade = "! -s 10.200.0.0/16 \(clusterIPMatch) -j KUBE-MARK-MASQ"

    /// The example with kube-svc-1 changed by `change`.
    static func topology(_ change: (inout Service) -> Void) throws -> Topology {
        var topology = try IPTablesProxyRendererTests.topology()
        change(&topology.services[0])
        return topology
    }

    static func nodePort(_ policy: TrafficPolicy = .cluster) -> (inout Service) -> Void {
        { service in
            service.type = .nodePort
            service.ports[0].nodePort = 30080
            service.externalTrafficPolicy = policy
        }
    }

    static func ruleset(_ topology: Topology, node: Int) -> IPTablesRuleset {
        IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[node])
    }

    // MARK: NodePort, Cluster

    @Test func aClusterNodePortIsMasqueradedToEveryEndpointFromEveryNode() throws {
        let topology = try Self.topology(Self.nodePort())
        let ruleset = Self.ruleset(topology, node: 2)
        #expect(ruleset.nat.chains["KUBE-SERVICES"] == ["\(Self.clusterIPMatch) -j \(Self.svc)", IPTablesProxyRenderer.nodePortsJump(.ipv4)])
        #expect(ruleset.nat.chains["KUBE-NODEPORTS"] == ["-p tcp -m comment --comment \"\(Self.name)\" -m tcp --dport 30080 -j \(Self.ext)"])
        #expect(ruleset.nat.chains[Self.ext] == [
            "-m comment --comment \"masquerade traffic for \(Self.name) external destinations\" -j KUBE-MARK-MASQ",
            "-j \(Self.svc)",
        ])
        #expect(ruleset.nat.chains[Self.svc]?.first == Self.masquerade)
        #expect(ruleset.nat.chains[Self.svc]?.count == 3)
        #expect(ruleset.nat.chains[Self.svl] == nil)
        #expect(ruleset.filter.chains["KUBE-EXTERNAL-SERVICES"] == [], "nothing to drop: every endpoint is for everyone")
        for chain in ["INPUT", "FORWARD"] {
            #expect(ruleset.filter.builtinRules[chain] == [
                "-m conntrack --ctstate NEW -m comment --comment \"podnet:lab externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES",
            ] + (chain == "FORWARD" ? ["-m conntrack --ctstate NEW -m comment --comment \"podnet:lab service portals\" -j KUBE-SERVICES"] : []))
        }
        #expect(Self.ruleset(topology, node: 0) == ruleset, "Cluster: every node alike")
    }

    /// kube-proxy's "NOTE: this must be the last rule in this chain": whatever sorts
    /// after it by text, the jump to KUBE-NODEPORTS stays last.
    @Test func theJumpToNodePortsIsLastInServices() throws {
        var topology = try Self.topology(Self.nodePort())
        topology.services.append(Service(name: "zz", clusterIP: .init("10.96.255.254")!, selector: nil, endpoints: ["c"],
                                         ports: [ServicePort(port: 9)]))
        let services = try #require(Self.ruleset(topology, node: 0).nat.chains["KUBE-SERVICES"])
        #expect(services.count == 3)
        #expect(services.last == IPTablesProxyRenderer.nodePortsJump(.ipv4))
        #expect(IPTablesRuleset.isTrailing(IPTablesProxyRenderer.nodePortsJump(.ipv4)))
        #expect(!IPTablesRuleset.isTrailing("-m comment --comment \"NOTE: this must be the last rule in this chain, or not\" -j X"))
    }

    // MARK: NodePort, Local

    @Test func aLocalNodePortKeepsTheClientsAddressAndUsesOnlyThisNodesEndpoint() throws {
        let ruleset = Self.ruleset(try Self.topology(Self.nodePort(.local)), node: 0)
        #expect(ruleset.nat.chains[Self.ext] == [
            "-s 10.200.0.0/16 -m comment --comment \"pod traffic for \(Self.name) external destinations\" -j \(Self.svc)",
            "-m comment --comment \"masquerade LOCAL traffic for \(Self.name) external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ",
            "-m comment --comment \"route LOCAL traffic for \(Self.name) external destinations\" -m addrtype --src-type LOCAL -j \(Self.svc)",
            "-j \(Self.svl)",
        ])
        #expect(ruleset.nat.chains[Self.svl] == ["-m comment --comment \"\(Self.name) -> 10.200.0.2:8080\" -j \(Self.sepA0)"])
        // Pods and the node itself still take every endpoint (the short cut).
        #expect(ruleset.nat.chains[Self.svc]?.count == 3)
        #expect(ruleset.nat.chains[Self.sepB] != nil)
        #expect(ruleset.filter.chains["KUBE-EXTERNAL-SERVICES"] == [])
    }

    @Test func aLocalNodePortIsDroppedAtANodeWithoutALocalEndpoint() throws {
        let ruleset = Self.ruleset(try Self.topology(Self.nodePort(.local)), node: 2)
        #expect(ruleset.nat.chains[Self.ext]?.count == 3, "the short cuts, and no jump for the rest")
        #expect(ruleset.nat.chains[Self.ext]?.contains("-j \(Self.svl)") == false)
        #expect(ruleset.nat.chains[Self.svl] == nil)
        #expect(ruleset.nat.chains["KUBE-NODEPORTS"]?.count == 1, "still entered: pods and the node take the short cut")
        #expect(ruleset.filter.chains["KUBE-EXTERNAL-SERVICES"] == [
            "-p tcp -m comment --comment \"\(Self.name) has no local endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP",
        ])
        // ClusterIP traffic is not affected by the external policy.
        #expect(ruleset.nat.chains["KUBE-SERVICES"]?.first == "\(Self.clusterIPMatch) -j \(Self.svc)")
    }

    @Test func aNodePortWithoutEndpointsIsRejectedForTheNodesAddresses() throws {
        let topology = try Self.topology { service in
            Self.nodePort(.local)(&service)
            service.endpoints = []
        }
        let ruleset = Self.ruleset(topology, node: 0)
        #expect(ruleset.nat.chains["KUBE-NODEPORTS"] == [])
        #expect(ruleset.nat.chains[Self.ext] == nil)
        #expect(ruleset.filter.chains["KUBE-EXTERNAL-SERVICES"] == [
            "-p tcp -m comment --comment \"\(Self.name) has no endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable",
        ])
    }

    // MARK: External IPs

    @Test func anExternalIPEntersTheExternalChainLikeANodePort() throws {
        let topology = try Self.topology { service in
            service.externalIPs = [.init("203.0.113.10")!]
            service.externalTrafficPolicy = .local
        }
        let withEndpoint = Self.ruleset(topology, node: 1)
        #expect(withEndpoint.nat.chains["KUBE-SERVICES"] == [
            "\(Self.clusterIPMatch) -j \(Self.svc)",
            "-d 203.0.113.10/32 -p tcp -m comment --comment \"\(Self.name) external IP\" -m tcp --dport 8080 -j \(Self.ext)",
        ])
        #expect(withEndpoint.nat.chains["KUBE-NODEPORTS"] == nil, "a ClusterIP service: no NodePorts")
        #expect(withEndpoint.nat.chains[Self.svl] == ["-m comment --comment \"\(Self.name) -> 10.200.1.2:8080\" -j \(Self.sepB)"])
        let without = Self.ruleset(topology, node: 2)
        #expect(without.filter.chains["KUBE-EXTERNAL-SERVICES"] == [
            "-d 203.0.113.10/32 -p tcp -m comment --comment \"\(Self.name) has no local endpoints\" -m tcp --dport 8080 -j DROP",
        ])
    }

    @Test func anExternalPolicyOnAServiceWithoutExternalTrafficIsIgnored() throws {
        let topology = try Self.topology { $0.externalTrafficPolicy = .local }
        #expect(Self.ruleset(topology, node: 2) == (try IPTablesProxyRendererTests.ruleset(node: 2)))
    }

    // MARK: internalTrafficPolicy

    @Test func aLocalInternalPolicyKeepsClusterIPTrafficOnTheNode() throws {
        let topology = try Self.topology { $0.internalTrafficPolicy = .local }
        let node0 = Self.ruleset(topology, node: 0)
        #expect(node0.nat.chains["KUBE-SERVICES"] == ["\(Self.clusterIPMatch) -j \(Self.svl)"])
        #expect(node0.nat.chains[Self.svl] == [Self.masquerade, "-m comment --comment \"\(Self.name) -> 10.200.0.2:8080\" -j \(Self.sepA0)"])
        #expect(node0.nat.chains[Self.svc] == nil, "no traffic picks among every endpoint")
        #expect(node0.nat.chains[Self.sepB] == nil)
        let node2 = Self.ruleset(topology, node: 2)
        #expect(node2.nat.chains["KUBE-SERVICES"] == [])
        // Dropped, before the service CIDR's catch-all reject.
        #expect(node2.filter.chains["KUBE-SERVICES"] == [
            "-d 10.96.0.2/32 -p tcp -m comment --comment \"\(Self.name) has no local endpoints\" -m tcp --dport 8080 -j DROP",
            "-d 10.96.0.0/12 -m comment --comment \"no service at this address and port; NOTE: this must be the last rule in this chain\" -j REJECT --reject-with icmp-port-unreachable",
        ])
    }

    @Test func bothPoliciesLocalShareTheLocalChain() throws {
        let topology = try Self.topology { service in
            Self.nodePort(.local)(&service)
            service.internalTrafficPolicy = .local
        }
        let node0 = Self.ruleset(topology, node: 0)
        #expect(node0.nat.chains["KUBE-SERVICES"]?.first == "\(Self.clusterIPMatch) -j \(Self.svl)")
        #expect(node0.nat.chains[Self.svl]?.first == Self.masquerade)
        // KUBE-SVC stays for the pods' and the node's short cut to every endpoint, without
        // the ClusterIP's masquerade (ClusterIP traffic does not take it).
        #expect(node0.nat.chains[Self.svc]?.count == 2)
        #expect(node0.nat.chains[Self.ext]?.last == "-j \(Self.svl)")
    }

    // MARK: sessionAffinity

    @Test func clientIPAffinityChecksEachEndpointsRecentListFirst() throws {
        let topology = try Self.topology { service in
            Self.nodePort()(&service)
            service.sessionAffinity = .clientIP(timeoutSeconds: 600)
        }
        let ruleset = Self.ruleset(topology, node: 2)
        #expect(ruleset.nat.chains[Self.svc] == [
            Self.masquerade,
            "-m comment --comment \"\(Self.name) -> 10.200.0.2:8080\" -m recent --rcheck --seconds 600 --reap --name \(Self.sepA0) --mask 255.255.255.255 --rsource -j \(Self.sepA0)",
            "-m comment --comment \"\(Self.name) -> 10.200.1.2:8080\" -m recent --rcheck --seconds 600 --reap --name \(Self.sepB) --mask 255.255.255.255 --rsource -j \(Self.sepB)",
            "-m comment --comment \"\(Self.name) -> 10.200.0.2:8080\" -m statistic --mode random --probability 0.50000000000 -j \(Self.sepA0)",
            "-m comment --comment \"\(Self.name) -> 10.200.1.2:8080\" -j \(Self.sepB)",
        ])
        #expect(ruleset.nat.chains[Self.sepA0] == [
            "-s 10.200.0.2/32 -m comment --comment \"\(Self.name)\" -j KUBE-MARK-MASQ",
            "-p tcp -m comment --comment \"\(Self.name)\" -m recent --set --name \(Self.sepA0) --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.200.0.2:8080",
        ])
    }

    // MARK: Sticky NodePorts

    @Test func nodePortsReadBackFromTheRulesOfALiveCluster() throws {
        var topology = try Self.topology(Self.nodePort(.local))
        topology.services.append(Service(name: "dns", clusterIP: .init("10.96.0.10")!, selector: nil, endpoints: [],
                                         ports: [ServicePort(port: 53, protocol: .udp, nodePort: 30053)], type: .nodePort))
        let live = LabRenderer(topology: topology).render()
        let expected = ["kube-svc-1/TCP/8080": 30080, "dns/UDP/53": 30053]
        #expect(IPTablesProxyNodePorts.read(from: live, cluster: "lab") == expected)
        #expect(LiveAssignmentsReader.assignments(in: live, cluster: "lab").nodePorts == expected)
        #expect(IPTablesProxyNodePorts.read(from: live, cluster: "other").isEmpty)
    }

    /// From every node's KUBE-SERVICES: the nat rule where the node has an endpoint for
    /// ClusterIP traffic, else the filter's drop or reject; never an external IP's rule.
    @Test func clusterIPsReadBackFromTheRulesOfALiveCluster() throws {
        var topology = try Self.topology { service in
            service.internalTrafficPolicy = .local
            service.externalIPs = [.init("203.0.113.10")!]
        }
        topology.services.append(Service(name: "none", clusterIP: .init("10.96.0.3")!, selector: nil, endpoints: [],
                                         ports: [ServicePort(port: 81)]))
        let live = LabRenderer(topology: topology).render()
        let expected = ["kube-svc-1": IPv4Address("10.96.0.2")!, "none": IPv4Address("10.96.0.3")!]
        #expect(IPTablesProxyClusterIPs.read(from: live, cluster: "lab") == expected)
        #expect(LiveAssignmentsReader.assignments(in: live, cluster: "lab").clusterIPs == expected)
        // node-2 alone (no endpoint of kube-svc-1) still tells both.
        let node2 = IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[2], in: .named("lab.node-2"))
        var state = KernelState()
        for chain in node2.chains { state.insert(chain) }
        #expect(IPTablesProxyClusterIPs.read(from: state, cluster: "lab") == expected)
    }

    @Test func aClusterWithoutExternalTrafficHasNeitherNodePortsNorExternalServices() throws {
        let ruleset = try IPTablesProxyRendererTests.ruleset()
        #expect(ruleset.nat.chains["KUBE-NODEPORTS"] == nil)
        #expect(ruleset.filter.chains["KUBE-EXTERNAL-SERVICES"] == nil)
        #expect(ruleset.filter.builtinRules["INPUT"] == nil)
    }
}
