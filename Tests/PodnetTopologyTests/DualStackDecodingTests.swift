import Foundation
import PodnetAddress
import PodnetTopology
import Testing

/// TOPOLOGY.md's dual-stack fields take one value, as before, or a list of one value
/// per family; both shapes, in flow and block style, mean the same.
@Suite struct DualStackDecodingTests {
    @Test func aListOfOneIPv4ValueIsTheSingleValue() throws {
        let single = try loadValid("""
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        underlay: { cidr: 192.168.64.0/24 }
        nodes: [{ name: node-0, address: 192.168.64.9, podCIDR: 10.200.3.0/24 }]
        pods: [{ name: a0, node: node-0, ip: 10.200.3.7 }]
        services: [{ name: web, clusterIP: 10.96.0.9, endpoints: [a0], ports: [{ port: 80 }] }]
        """)
        let listed = try loadValid("""
        name: lab
        clusterCIDR: [10.200.0.0/16]
        serviceCIDR:
          - 10.96.0.0/12
        underlay: { cidr: [192.168.64.0/24] }
        nodes: [{ name: node-0, address: [192.168.64.9], podCIDR: [10.200.3.0/24] }]
        pods: [{ name: a0, node: node-0, ip: [10.200.3.7] }]
        services: [{ name: web, clusterIP: [10.96.0.9], ipFamilies: [IPv4], endpoints: [a0], ports: [{ port: 80 }] }]
        """)
        #expect(listed == single)
        #expect(!listed.usesIPv6)
    }

    @Test func everyFieldTakesBothFamiliesInBothStyles() throws {
        let topology = try loadValid("""
        name: ds
        clusterCIDR:
          - fd00:200::/48
          - 10.200.0.0/16
        serviceCIDR: [10.96.0.0/12, "fd00:96::/112"]
        underlay:
          cidr: [192.168.64.0/24, "fd00:64::/64"]
        nodes:
          - name: node-0
            address: [192.168.64.9, "fd00:64::9"]
            podCIDR: [10.200.3.0/24, "fd00:200:0:3::/64"]
        pods:
          - { name: a0, node: node-0, ip: ["fd00:200:0:3::7", 10.200.3.7] }
        services:
          - { name: web, clusterIP: [10.96.0.9, "fd00:96::9"], endpoints: [a0], ports: [{ port: 80 }] }
        """)
        #expect(topology.ipv6 == ClusterIPv6(clusterCIDR: prefixV6("fd00:200::/48"), serviceCIDR: prefixV6("fd00:96::/112"),
                                             underlayCIDR: prefixV6("fd00:64::/64"), isPrimary: true))
        #expect(topology.clusterCIDR == prefix("10.200.0.0/16"))
        #expect(topology.nodes[0].address == ip("192.168.64.9"))
        #expect(topology.nodes[0].addressV6 == ipv6("fd00:64::9"))
        #expect(topology.nodes[0].podCIDR == prefix("10.200.3.0/24"))
        #expect(topology.nodes[0].podCIDRv6 == prefixV6("fd00:200:0:3::/64"))
        #expect(topology.pods[0].ip == ip("10.200.3.7"))
        #expect(topology.pods[0].ipv6 == ipv6("fd00:200:0:3::7"))
        #expect(topology.services[0].clusterIP == ip("10.96.0.9"))
        #expect(topology.services[0].clusterIPv6 == ipv6("fd00:96::9"))
        #expect(topology.services[0].ipFamilies == [.ipv4, .ipv6])
    }

    @Test func ipv6ValuesArePrintedCanonically() throws {
        let topology = try loadValid("""
        name: ds
        clusterCIDR: [10.200.0.0/16, "FD00:0200:0000::/48"]
        nodes: [{ name: node-0, podCIDR: [10.200.0.0/24, "fd00:200:0:0::/64"] }]
        pods: [{ name: a0, node: node-0, ip: "fd00:200:0:0:0:0:0:2" }]
        """)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(topology), as: UTF8.self)
        #expect(json.contains(#""ipv6":{"clusterCIDR":"fd00:200::/48","isPrimary":false}"#))
        #expect(json.contains(#""gatewayV6":"fd00:200::1""#))
        #expect(json.contains(#""podCIDRv6":"fd00:200::/64""#))
        #expect(json.contains(#""ipv6":"fd00:200::2""#))
    }

    @Test func theEncodedTopologyDecodesToItself() throws {
        let topology = try loadValid(DualStackAllocationTests.dualStack)
        let decoded = try JSONDecoder().decode(Topology.self, from: try JSONEncoder().encode(topology))
        #expect(decoded == topology)
    }

    @Test func ipFamiliesIsAServiceKey() {
        #expect(errors("""
        name: ds
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0 }]
        services: [{ name: web, ipFamilis: [IPv4], endpoints: [a0], ports: [{ port: 80 }] }]
        """) == ["6:25 unknown key 'ipFamilis' in a service; did you mean 'ipFamilies'?"])
    }
}
