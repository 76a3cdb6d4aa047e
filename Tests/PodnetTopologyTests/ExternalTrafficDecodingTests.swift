import Foundation
import PodnetAddress
import PodnetTopology
import Testing

/// Every field of "Traffic from outside the cluster" in TOPOLOGY.md is read into
/// the model, with its default when left out.
@Suite struct ExternalTrafficDecodingTests {
    static let cluster = """
    name: lab
    clusterCIDR: 10.200.0.0/16
    serviceCIDR: 10.96.0.0/12
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: b0, node: node-1, labels: { app: web } }

    """

    @Test func everyFieldIsRead() throws {
        let topology = try loadValid(Self.cluster + """
        proxy: { mode: iptables, nodePortRange: "31000-31999" }
        clients:
          - { name: outside, address: 192.168.64.200 }
        services:
          - name: web
            type: NodePort
            externalIPs: [203.0.113.10, 198.51.100.7]
            externalTrafficPolicy: Local
            internalTrafficPolicy: Local
            sessionAffinity: ClientIP
            sessionAffinityTimeoutSeconds: 600
            selector: { app: web }
            ports: [{ port: 80, targetPort: 8080, nodePort: 31080 }, { port: 53, protocol: UDP, nodePort: 31053 }]
        """)
        #expect(topology.proxy == Proxy(mode: .iptables, nodePortRange: 31000...31999))
        #expect(topology.clients == [Client(name: "outside", address: ip("192.168.64.200"))])
        let web = try #require(topology.services.first)
        #expect(web.type == .nodePort)
        #expect(web.externalIPs == [.v4(ip("203.0.113.10")), .v4(ip("198.51.100.7"))])
        #expect(web.externalTrafficPolicy == .local)
        #expect(web.internalTrafficPolicy == .local)
        #expect(web.sessionAffinity == .clientIP(timeoutSeconds: 600))
        #expect(web.ports == [ServicePort(port: 80, targetPort: 8080, protocol: .tcp, nodePort: 31080),
                              ServicePort(port: 53, protocol: .udp, nodePort: 31053)])
        #expect(web.acceptsExternalTraffic)
    }

    @Test func defaultsOfAServiceLeftAlone() throws {
        let topology = try loadValid(Self.cluster + """
        services:
          - { name: web, selector: { app: web }, ports: [{ port: 80 }] }
        """)
        let web = try #require(topology.services.first)
        #expect(web.type == .clusterIP)
        #expect(web.externalIPs == [])
        #expect(web.externalTrafficPolicy == .cluster)
        #expect(web.internalTrafficPolicy == .cluster)
        #expect(web.sessionAffinity == SessionAffinity.none)
        #expect(web.ports.map(\.nodePort) == [nil])
        #expect(!web.acceptsExternalTraffic)
        #expect(topology.proxy.nodePortRange == 30000...32767)
        #expect(topology.clients == [])
    }

    @Test func clientIPAffinityDefaultsToKubernetesThreeHours() throws {
        let topology = try loadValid(Self.cluster + """
        services:
          - { name: web, sessionAffinity: ClientIP, selector: { app: web }, ports: [{ port: 80 }] }
          - { name: api, sessionAffinity: None, selector: { app: web }, ports: [{ port: 80 }] }
        """)
        #expect(topology.services.map(\.sessionAffinity) == [.clientIP(timeoutSeconds: 10800), SessionAffinity.none])
    }

    @Test func externalIPsAloneMakeAClusterIPServiceReachableFromOutside() throws {
        let topology = try loadValid(Self.cluster + """
        services:
          - { name: web, externalIPs: [203.0.113.10], externalTrafficPolicy: Local, selector: { app: web }, ports: [{ port: 80 }] }
        """)
        let web = try #require(topology.services.first)
        #expect(web.type == .clusterIP)
        #expect(web.acceptsExternalTraffic)
        #expect(web.externalTrafficPolicy == .local)
        #expect(web.ports.map(\.nodePort) == [nil])
        #expect(TopologyLoader.load(text: Self.cluster + """
        services:
          - { name: web, externalIPs: [203.0.113.10], externalTrafficPolicy: Local, selector: { app: web }, ports: [{ port: 80 }] }
        """, file: "t").warnings.isEmpty, "a policy with external IPs is not ignored")
    }

    @Test func oneExternalIPServesDifferentPortsOfTwoServices() throws {
        let topology = try loadValid(Self.cluster + """
        services:
          - { name: web, externalIPs: [203.0.113.10], selector: { app: web }, ports: [{ port: 80 }] }
          - { name: dns, externalIPs: [203.0.113.10], selector: { app: web }, ports: [{ port: 53, protocol: UDP }, { port: 53 }] }
        """)
        #expect(topology.services.map(\.externalIPs) == [[.v4(ip("203.0.113.10"))], [.v4(ip("203.0.113.10"))]])
    }

    @Test func theNewFieldsSurviveTheJSONRoundTrip() throws {
        let topology = try loadValid(Self.cluster + """
        proxy: { nodePortRange: "30000-30099" }
        clients: [{ name: outside }]
        services:
          - name: web
            type: NodePort
            externalIPs: [203.0.113.10]
            externalTrafficPolicy: Local
            sessionAffinity: ClientIP
            selector: { app: web }
            ports: [{ port: 80 }]
        """)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(topology), as: UTF8.self)
        #expect(json.contains(#""clients":[{"address":"192.168.64.6","name":"outside"}]"#))
        #expect(json.contains(#""proxy":{"mode":"nftables","nodePortRange":[30000,30099]}"#))
        #expect(json.contains(#""externalIPs":["203.0.113.10"],"externalTrafficPolicy":"Local","internalTrafficPolicy":"Cluster""#))
        #expect(json.contains(#""ports":[{"nodePort":30000,"port":80,"protocol":"TCP","targetPort":80}]"#))
        #expect(json.contains(#""sessionAffinity":{"timeoutSeconds":10800,"type":"ClientIP"}"#))
        #expect(json.contains(#""type":"NodePort""#))
        #expect(try JSONDecoder().decode(Topology.self, from: Data(json.utf8)) == topology)
    }

    @Test func sessionAffinityNoneIsWrittenAsItsTypeAlone() throws {
        let json = String(decoding: try JSONEncoder().encode(SessionAffinity.none), as: UTF8.self)
        #expect(json == #"{"type":"None"}"#)
        #expect(try JSONDecoder().decode(SessionAffinity.self, from: Data(json.utf8)) == SessionAffinity.none)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SessionAffinity.self, from: Data(#"{"type":"Sticky"}"#.utf8))
        }
    }
}
