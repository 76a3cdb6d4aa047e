import PodnetAddress
@testable import PodnetTopology
import Testing

func ipv6(_ text: String) -> IPv6Address { IPv6Address(text)! }
func prefixV6(_ text: String) -> IPv6Prefix { IPv6Prefix(text)! }

/// IPv6 allocation: /64 pod CIDRs per node, pod addresses after `::1`, ClusterIPs
/// per `ipFamilies`, deterministic and sticky like IPv4's.
@Suite struct DualStackAllocationTests {
    static let dualStack = """
    name: ds
    clusterCIDR: [10.200.0.0/16, fd00:200::/48]
    serviceCIDR: [10.96.0.0/12, fd00:96::/112]
    nodes:
      - { name: node-0 }
      - { name: node-1 }
    pods:
      - { name: a0, node: node-0, labels: { app: web } }
      - { name: a1, node: node-0 }
      - { name: b, node: node-1, labels: { app: web } }
    services:
      - { name: web, selector: { app: web }, ports: [{ port: 80 }] }
      - { name: v4, ipFamilies: [IPv4], selector: { app: web }, ports: [{ port: 80 }] }
      - { name: v6first, ipFamilies: [IPv6, IPv4], selector: { app: web }, ports: [{ port: 80 }] }
    """

    @Test func defaultsFollowDeclarationOrderInBothFamilies() throws {
        let topology = try loadValid(Self.dualStack)
        #expect(topology.ipv6 == ClusterIPv6(clusterCIDR: prefixV6("fd00:200::/48"), serviceCIDR: prefixV6("fd00:96::/112")))
        #expect(topology.families == [.ipv4, .ipv6])
        #expect(topology.usesIPv6)
        #expect(topology.nodes.map(\.podCIDR) == [prefix("10.200.0.0/24"), prefix("10.200.1.0/24")])
        #expect(topology.nodes.map(\.podCIDRv6) == [prefixV6("fd00:200::/64"), prefixV6("fd00:200:0:1::/64")])
        #expect(topology.nodes.map(\.gatewayV6) == [ipv6("fd00:200::1"), ipv6("fd00:200:0:1::1")])
        // No IPv6 underlay: VXLAN carries IPv6 pods over the IPv4 one.
        #expect(topology.nodes.map(\.addressV6) == [nil, nil])
        #expect(topology.pods.map(\.ip) == [ip("10.200.0.2"), ip("10.200.0.3"), ip("10.200.1.2")])
        #expect(topology.pods.map(\.ipv6) == [ipv6("fd00:200::2"), ipv6("fd00:200::3"), ipv6("fd00:200:0:1::2")])
        #expect(topology.services.map(\.clusterIP) == [ip("10.96.0.1"), ip("10.96.0.2"), ip("10.96.0.3")])
        #expect(topology.services.map(\.clusterIPv6) == [ipv6("fd00:96::1"), nil, ipv6("fd00:96::2")])
        #expect(topology.services.map(\.ipFamilies) == [[.ipv4, .ipv6], [.ipv4], [.ipv6, .ipv4]])
    }

    @Test func ipv6PrimaryWhenListedFirst() throws {
        let topology = try loadValid("""
        name: ds
        clusterCIDR: [fd00:200::/48, 10.200.0.0/16]
        serviceCIDR: [fd00:96::/112, 10.96.0.0/12]
        nodes: [{ name: node-0 }]
        pods: [{ name: a0, node: node-0, labels: { app: web } }]
        services: [{ name: web, selector: { app: web }, ports: [{ port: 80 }] }]
        """)
        #expect(topology.families == [.ipv6, .ipv4])
        #expect(topology.ipv6?.isPrimary == true)
        #expect(topology.services[0].ipFamilies == [.ipv6, .ipv4])
        #expect(topology.services[0].clusterIPv6 == ipv6("fd00:96::1"))
    }

    @Test func explicitValuesAreSkippedByDefaults() throws {
        let topology = try loadValid("""
        name: ds
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        underlay:
          cidr: [192.168.64.0/24, fd00:64::/64]
        network: { backend: host-gw }
        nodes:
          - { name: node-0, address: [192.168.64.9, "fd00:64::4"], podCIDR: [10.200.5.0/24, "fd00:200::/64"] }
          - { name: node-1 }
        pods:
          - { name: a0, node: node-0, ip: "fd00:200::2" }
          - { name: a1, node: node-0 }
          - { name: b, node: node-1, ip: [10.200.0.7, "fd00:200:0:1::7"] }
        services:
          - { name: web, clusterIP: [10.96.0.1, "fd00:96::1"], endpoints: [a0], ports: [{ port: 80 }] }
          - { name: db, endpoints: [a1], ports: [{ port: 5432 }] }
        """)
        #expect(topology.ipv6?.underlayCIDR == prefixV6("fd00:64::/64"))
        #expect(topology.nodes.map(\.address) == [ip("192.168.64.9"), ip("192.168.64.4")])
        #expect(topology.nodes.map(\.addressV6) == [ipv6("fd00:64::4"), ipv6("fd00:64::5")])
        #expect(topology.nodes.map(\.podCIDRv6) == [prefixV6("fd00:200::/64"), prefixV6("fd00:200:0:1::/64")])
        #expect(topology.pods.map(\.ip) == [ip("10.200.5.2"), ip("10.200.5.3"), ip("10.200.0.7")])
        #expect(topology.pods.map(\.ipv6) == [ipv6("fd00:200::2"), ipv6("fd00:200::3"), ipv6("fd00:200:0:1::7")])
        #expect(topology.services.map(\.clusterIPv6) == [ipv6("fd00:96::1"), ipv6("fd00:96::2")])
    }

    @Test func liveIPv6AssignmentsAreKept() throws {
        // node-0 was removed from a running cluster: node-1 and b keep what they have.
        let live = LiveAssignments(nodeAddressesV6: ["node-1": ipv6("fd00:64::5")],
                                   podCIDRsV6: ["node-1": prefixV6("fd00:200:0:1::/64")],
                                   podIPsV6: ["b": ipv6("fd00:200:0:1::9")],
                                   clusterIPsV6: ["web": ipv6("fd00:96::7")])
        let text = """
        name: ds
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
        nodes: [{ name: node-1 }, { name: node-2 }]
        pods: [{ name: b, node: node-1, labels: { app: web } }, { name: c, node: node-1 }]
        services: [{ name: web, selector: { app: web }, ports: [{ port: 80 }] }, { name: db, endpoints: [c], ports: [{ port: 5432 }] }]
        """
        let topology = try loadValid(text, live: live)
        #expect(topology.nodes.map(\.addressV6) == [ipv6("fd00:64::5"), ipv6("fd00:64::4")])
        #expect(topology.nodes.map(\.podCIDRv6) == [prefixV6("fd00:200:0:1::/64"), prefixV6("fd00:200::/64")])
        #expect(topology.pods.map(\.ipv6) == [ipv6("fd00:200:0:1::9"), ipv6("fd00:200:0:1::2")])
        #expect(topology.services.map(\.clusterIPv6) == [ipv6("fd00:96::7"), ipv6("fd00:96::1")])
        // The same file against no live state numbers in declaration order instead.
        let fresh = try loadValid(text)
        #expect(fresh.nodes.map(\.podCIDRv6) == [prefixV6("fd00:200::/64"), prefixV6("fd00:200:0:1::/64")])
    }

    @Test func firstAndLastSixtyFourOfASlash48() throws {
        var pool = SubnetPool(parent: prefixV6("fd00:200::/48"), length: 64, taken: [])
        #expect(pool.next() == prefixV6("fd00:200::/64"))
        var last: IPv6Prefix?
        for _ in 2...65_536 { last = pool.next() }
        #expect(last == prefixV6("fd00:200:0:ffff::/64"))
        #expect(pool.next() == nil)
    }

    @Test func subnetPoolSkipsReservedSixtyFours() throws {
        var pool = SubnetPool(parent: prefixV6("fd00:200::/48"), length: 64, taken: [prefixV6("fd00:200::/64")])
        pool.reserve(prefixV6("fd00:200:0:2::/63"))
        #expect(pool.next() == prefixV6("fd00:200:0:1::/64"))
        #expect(pool.next() == prefixV6("fd00:200:0:4::/64"))
    }

    @Test func ipv6AddressPoolStartsAfterTheGateway() throws {
        var pool = IPv6AddressPool(prefix: prefixV6("fd00:200::/64"), firstHost: 1, taken: [ipv6("fd00:200::1"), ipv6("fd00:200::3")])
        #expect(pool.next() == ipv6("fd00:200::2"))
        #expect(pool.next() == ipv6("fd00:200::4"))
        #expect(!pool.isHost(ipv6("fd00:200::")))
        #expect(pool.isHost(ipv6("fd00:200::ffff:ffff:ffff:ffff")))
    }

    @Test func ipv4OnlyFileHasNoIPv6Side() throws {
        let topology = try loadValid(AllocationTests.minimal)
        #expect(topology.ipv6 == nil)
        #expect(!topology.usesIPv6)
        #expect(topology.nodes.allSatisfy { $0.podCIDRv6 == nil && $0.addressV6 == nil })
        #expect(topology.pods.allSatisfy { $0.ipv6 == nil })
        #expect(topology.services.allSatisfy { $0.clusterIPv6 == nil && $0.ipFamilies == nil })
    }

    /// A client on a dual-stack underlay gets an IPv6 address after the nodes', as in
    /// IPv4; a written one is kept, and a live one is sticky; the nodes skip the
    /// clients' written addresses.
    @Test func clientsGetAnIPv6UnderlayAddressAfterTheNodes() throws {
        let text = Self.dualStack + """

        underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
        clients: [{ name: outside }, { name: fixed, address: [192.168.64.50, "fd00:64::5"] }]
        """
        let topology = try loadValid(text)
        let outside = try #require(topology.clients.first { $0.name == "outside" })
        let fixed = try #require(topology.clients.first { $0.name == "fixed" })
        #expect(fixed.addressV6 == ipv6("fd00:64::5"))
        // node-0 and node-1 take ::4 and ::6 (::5 is the fixed client's), outside the next free one.
        #expect(topology.nodes.map(\.addressV6) == [ipv6("fd00:64::4"), ipv6("fd00:64::6")])
        #expect(outside.addressV6 == ipv6("fd00:64::7"))
        // Sticky: a live address is kept.
        var live = LiveAssignments.none
        live.clientAddressesV6 = ["outside": ipv6("fd00:64::99")]
        #expect(try loadValid(text, live: live).clients.first { $0.name == "outside" }?.addressV6 == ipv6("fd00:64::99"))
        // No IPv6 underlay: no IPv6 address, as for nodes.
        #expect(try loadValid(Self.dualStack + "\nclients: [{ name: outside }]\n").clients[0].addressV6 == nil)
    }
}
