import Foundation
import PodnetTopology
import Testing

@Suite struct ValidationTests {
    @Test func everyErrorIsReportedNotOnlyTheFirst() {
        let found = errors("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        nodes:
          - { name: node-0, podCidr: 10.200.0.0/24 }
        pods:
          - { name: a0, node: node-9 }
          - { name: a1, node: node-0, ip: 10.200.0.1 }
        """)
        #expect(found.count == 3)
        #expect(found[0].hasPrefix("4:21 unknown key 'podCidr' in a node; did you mean 'podCIDR'?"))
        #expect(found[1].hasPrefix("6:23 pod 'a0' is on an unknown node 'node-9'; did you mean 'node-0'?"))
        #expect(found[2].hasPrefix("7:35 pod 'a1' address 10.200.0.1 is the gateway of node 'node-0'"))
    }

    @Test func theTunnelOverheadIsCheckedForEveryBackend() {
        // IP-in-IP takes 20 bytes: an underlay MTU of 580 leaves pods 560, below IPv4's 576.
        #expect(errors("name: lab\nclusterCIDR: 10.200.0.0/16\nnodes: [{ name: n }]\nnetwork: { backend: ipip, mtu: 580 }\n")
            == ["4:32 network.mtu 580 leaves pods an MTU of 560 after the ipip overhead; IPv4 needs at least 576"])
    }

    @Test func warningsDoNotInvalidate() {
        let result = TopologyLoader.load(text: """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0 }]
        services:
          - { name: web, selector: { app: web }, ports: [{ port: 80 }] }
        """, file: "w.yaml")
        #expect(result.isValid)
        #expect(result.errors.isEmpty)
        #expect(result.warnings.map(\.message) == ["the selector of service 'web' (app=web) matches no pod; connections to it will be rejected"])
        #expect(result.topology?.services[0].endpoints == [])
    }

    @Test func aNullValueMeansNotSet() throws {
        let topology = try loadValid("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        network:
        nodes:
          - name: node-0
            bridge:
        pods:
          - name: a0
            node: node-0
            labels:
        """)
        #expect(topology.nodes[0].bridge == "cni0")
        #expect(topology.pods[0].labels == [:])
    }

    @Test func bridgeNoneMeansNoBridge() throws {
        let topology = try loadValid("""
        name: veth
        clusterCIDR: 10.200.0.0/16
        network: { backend: host-gw }
        nodes: [{ name: node-0, bridge: none }]
        pods:
          - { name: a0, node: node-0 }
          - { name: a1, node: node-0 }
        links: [{ pods: [a0, a1] }]
        """)
        #expect(topology.nodes[0].bridge == nil)
        #expect(topology.links == [Link(pods: ["a0", "a1"])])
        #expect(topology.pods.map(\.ip?.description) == ["10.200.0.2", "10.200.0.3"])
    }

    @Test func suggestionsAreOfferedForCloseWordsOnly() {
        #expect(errors("name: lab\nclusterCIDR: 10.200.0.0/16\nnodes: [{ name: n }]\nnetwork: { backend: vxlna }\n")
            == ["4:21 unknown network backend 'vxlna'; did you mean 'vxlan'?"])
        #expect(errors("name: lab\nclusterCIDR: 10.200.0.0/16\nnodes: [{ name: n }]\nnetwork: { backend: geneve }\n")
            == ["4:21 unknown network backend 'geneve'; expected one of: host-gw, ipip, vxlan"])
        #expect(errors("name: lab\nclusterCIDR: 10.200.0.0/16\nnodes: [{ name: n }]\nfoo: 1\n")
            == ["4:1 unknown key 'foo' in the topology; expected one of: name, clusterCIDR, serviceCIDR, network, proxy, underlay, nodes, pods, links, services, clients, namespaces, networkPolicies"])
    }

    @Test func resolvedTopologyEncodesEveryDefault() throws {
        let topology = try loadValid("name: lab\nclusterCIDR: 10.200.0.0/16\nnodes: [{ name: node-0 }]\npods: [{ name: a0, node: node-0 }]\n")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(topology), as: UTF8.self)
        #expect(json.contains(#""nodes":[{"address":"192.168.64.4","bridge":"cni0","gateway":"10.200.0.1","name":"node-0","podCIDR":"10.200.0.0\/24"}]"#))
        #expect(json.contains(#""network":{"backend":"vxlan","masquerade":true,"mtu":1500,"vxlan":{"discovery":"static","port":4789,"vni":1}}"#))
        let decoded = try JSONDecoder().decode(Topology.self, from: Data(json.utf8))
        #expect(decoded == topology)
    }
}

@Suite struct NamesAndSpellingTests {
    @Test(arguments: ["lab", "a", "lab-1", "abcdefghijkl"])
    func validClusterNames(_ name: String) { #expect(Names.clusterNameProblem(name) == nil) }

    @Test(arguments: ["", "Lab", "1lab", "lab_1", "abcdefghijklm", "lab.x"])
    func invalidClusterNames(_ name: String) { #expect(Names.clusterNameProblem(name) != nil) }

    @Test(arguments: ["a0", "node-0", "0", String(repeating: "a", count: 63)])
    func dnsLabels(_ name: String) { #expect(Names.dnsLabelProblem(name) == nil) }

    @Test(arguments: ["A0", "-a", "a-", "a.b", "a_b", String(repeating: "a", count: 64), ""])
    func notDNSLabels(_ name: String) { #expect(Names.dnsLabelProblem(name) != nil) }

    @Test func interfaceNames() {
        #expect(Names.interfaceNameProblem("br0") == nil)
        #expect(Names.interfaceNameProblem("fifteen-chars-x") == nil)
        #expect(Names.interfaceNameProblem("sixteen-chars-xy") != nil)
        #expect(Names.interfaceNameProblem("a/b") != nil)
        #expect(Names.interfaceNameProblem("a b") != nil)
        #expect(Names.interfaceNameProblem("..") != nil)
    }

    @Test func labels() {
        #expect(Names.labelKeyProblem("app") == nil)
        #expect(Names.labelKeyProblem("app.kubernetes.io/name") == nil)
        #expect(Names.labelKeyProblem("-app") != nil)
        #expect(Names.labelKeyProblem("a/b/c") != nil)
        #expect(Names.labelValueProblem("") == nil)
        #expect(Names.labelValueProblem("web_1.x") == nil)
        #expect(Names.labelValueProblem("web!") != nil)
    }
}
