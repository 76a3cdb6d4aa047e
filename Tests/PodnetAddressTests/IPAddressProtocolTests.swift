import PodnetAddress
import Testing

/// Code written once for both families through the protocols, as a family-aware
/// allocator will be.
@Suite struct IPAddressProtocolTests {
    /// The first subnet of `length` that overlaps none taken, as SubnetPool hands them out.
    func firstFreeSubnet<Prefix: IPPrefixProtocol>(of parent: Prefix, length: Int, taken: [Prefix]) -> Prefix? {
        var index: UInt64 = 0
        while let candidate = parent.subnet(length: length, index: index) {
            if !taken.contains(where: { $0.overlaps(candidate) }) { return candidate }
            index += 1
        }
        return nil
    }

    /// The first `count` hosts not taken, lowest first, as AddressPool hands them out.
    func freeHosts<Prefix: IPPrefixProtocol>(of prefix: Prefix, count: Int, taken: Set<Prefix.Address>) -> [Prefix.Address] {
        var hosts: [Prefix.Address] = []
        var index: UInt64 = 0
        while hosts.count < count, let host = prefix.host(at: index) {
            if !taken.contains(host) { hosts.append(host) }
            index += 1
        }
        return hosts
    }

    @Test func subnetsOfEitherFamily() {
        let v4 = firstFreeSubnet(of: IPv4Prefix("10.200.0.0/16")!, length: 24,
                                 taken: [IPv4Prefix("10.200.0.0/24")!, IPv4Prefix("10.200.1.0/25")!])
        #expect(v4 == IPv4Prefix("10.200.2.0/24"))
        let v6 = firstFreeSubnet(of: IPv6Prefix("2001:db8:42::/48")!, length: 64,
                                 taken: [IPv6Prefix("2001:db8:42::/63")!, IPv6Prefix("2001:db8:42:2::1/128")!])
        #expect(v6 == IPv6Prefix("2001:db8:42:3::/64"))
        #expect(firstFreeSubnet(of: IPv6Prefix("2001:db8::/63")!, length: 64, taken: [.everything]) == nil)
    }

    @Test func hostsOfEitherFamily() {
        let v4 = freeHosts(of: IPv4Prefix("10.200.1.0/24")!, count: 3, taken: [IPv4Address("10.200.1.2")!])
        #expect(v4.map(\.description) == ["10.200.1.1", "10.200.1.3", "10.200.1.4"])
        let v6 = freeHosts(of: IPv6Prefix("2001:db8:42:1::/64")!, count: 3, taken: [IPv6Address("2001:db8:42:1::2")!])
        #expect(v6.map(\.description) == ["2001:db8:42:1::1", "2001:db8:42:1::3", "2001:db8:42:1::4"])
        #expect(freeHosts(of: IPv4Prefix("10.0.0.0/30")!, count: 5, taken: []).count == 2)
        #expect(freeHosts(of: IPv6Prefix("2001:db8::/126")!, count: 5, taken: []).count == 3)
    }

    @Test func ipv4HostIndexes() {
        let prefix = IPv4Prefix("10.200.1.0/24")!
        #expect(prefix.host(at: 0) == IPv4Address("10.200.1.1"))
        #expect(prefix.host(at: 253) == IPv4Address("10.200.1.254"))
        #expect(prefix.host(at: 254) == nil)
        #expect(prefix.host(at: .max) == nil)
        #expect(IPv4Prefix("10.0.0.0/31")!.host(at: 1) == IPv4Address("10.0.0.1"))
        #expect(IPv4Prefix("10.0.0.7/32")!.host(at: 0) == IPv4Address("10.0.0.7"))
        #expect(IPv4Prefix("0.0.0.0/0")!.host(at: UInt64(UInt32.max) - 2) == IPv4Address("255.255.255.254"))
        #expect(IPv4Prefix("0.0.0.0/0")!.host(at: UInt64(UInt32.max) - 1) == nil)
    }

    @Test func theEnumsFromEitherFamily() {
        #expect(IPv4Address.family == .ipv4 && IPv6Address.family == .ipv6)
        #expect(IPv6Address("2001:db8::1")!.ipAddress == IPAddress("2001:db8::1"))
        #expect(IPv4Prefix("10.0.0.0/8")!.ipPrefix == IPPrefix("10.0.0.0/8"))
        #expect(IPPrefix("10.200.1.0/24")!.host(at: 0) == IPAddress("10.200.1.1"))
        #expect(IPPrefix("2001:db8::/64")!.host(at: 0) == IPAddress("2001:db8::1"))
    }

    @Test func familyMeantByAText() {
        #expect(AddressFamily(meantBy: "2001:db8::g") == .ipv6)
        #expect(AddressFamily(meantBy: "fe80::1%eth0") == .ipv6)
        #expect(AddressFamily(meantBy: "10.0.0.256") == .ipv4)
        #expect(AddressFamily(meantBy: "") == .ipv4)
    }
}
