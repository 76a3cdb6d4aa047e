import PodnetAddress
import Testing

@Suite struct IPv4AddressTests {
    @Test(arguments: ["10.200.0.2", "0.0.0.0", "255.255.255.255", "192.168.64.4"])
    func roundTrips(_ text: String) {
        #expect(IPv4Address(text)?.description == text)
    }

    @Test(arguments: ["", "10.200.0", "10.200.0.2.1", "256.0.0.1", "10.200.0.02", "10.200.0.-1", "a.b.c.d", "10.200.0.2/24", " 10.0.0.1"])
    func rejects(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func bytesAreNetworkOrder() {
        #expect(IPv4Address("10.200.1.2")!.bytes == [10, 200, 1, 2])
        #expect(IPv4Address(bytes: [192, 168, 64, 5]) == IPv4Address("192.168.64.5"))
    }

    @Test func multicast() {
        #expect(IPv4Address("239.1.1.1")!.isMulticast)
        #expect(IPv4Address("224.0.0.0")!.isMulticast)
        #expect(!IPv4Address("240.0.0.1")!.isMulticast)
        #expect(!IPv4Address("10.0.0.1")!.isMulticast)
    }

    @Test func advancing() {
        #expect(IPv4Address("10.0.0.255")!.advanced(by: 1) == IPv4Address("10.0.1.0"))
        #expect(IPv4Address("255.255.255.255")!.advanced(by: 1) == nil)
        #expect(IPv4Address("0.0.0.0")!.advanced(by: -1) == nil)
    }
}

@Suite struct IPv4PrefixTests {
    @Test func parsesAndDescribes() {
        let prefix = IPv4Prefix("10.200.0.0/16")!
        #expect(prefix.length == 16)
        #expect(prefix.description == "10.200.0.0/16")
        #expect(prefix.isNetwork)
        #expect(!IPv4Prefix("10.200.0.1/16")!.isNetwork)
        #expect(IPv4Prefix("10.200.0.1/16")!.network == prefix)
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "/8", "10.0.0.0/8/8", "10.0.0.0/080"])
    func rejects(_ text: String) {
        #expect(IPv4Prefix(text) == nil)
    }

    @Test func rangesAndContainment() {
        let prefix = IPv4Prefix("10.200.1.0/24")!
        #expect(prefix.first == IPv4Address("10.200.1.0"))
        #expect(prefix.broadcast == IPv4Address("10.200.1.255"))
        #expect(prefix.hosts == IPv4Address("10.200.1.1")!.value...IPv4Address("10.200.1.254")!.value)
        #expect(prefix.contains(IPv4Address("10.200.1.77")!))
        #expect(!prefix.contains(IPv4Address("10.200.2.1")!))
        #expect(IPv4Prefix("10.200.0.0/16")!.contains(prefix))
        #expect(!prefix.contains(IPv4Prefix("10.200.0.0/16")!))
        #expect(prefix.size == 256)
    }

    @Test func pointToPointAndHostPrefixes() {
        #expect(IPv4Prefix("10.0.0.0/31")!.hosts == IPv4Address("10.0.0.0")!.value...IPv4Address("10.0.0.1")!.value)
        #expect(IPv4Prefix("10.0.0.7/32")!.hosts == IPv4Address("10.0.0.7")!.value...IPv4Address("10.0.0.7")!.value)
        #expect(IPv4Prefix("0.0.0.0/0")!.contains(IPv4Address("255.1.2.3")!))
    }

    @Test func overlaps() {
        let a = IPv4Prefix("10.200.0.0/16")!
        #expect(a.overlaps(IPv4Prefix("10.200.5.0/24")!))
        #expect(IPv4Prefix("10.200.5.0/24")!.overlaps(a))
        #expect(!a.overlaps(IPv4Prefix("10.96.0.0/12")!))
        #expect(IPv4Prefix("10.96.0.0/12")!.overlaps(IPv4Prefix("10.100.0.0/16")!))
    }

    @Test func subnets() {
        let cluster = IPv4Prefix("10.200.0.0/16")!
        #expect(cluster.subnet(length: 24, index: 0) == IPv4Prefix("10.200.0.0/24"))
        #expect(cluster.subnet(length: 24, index: 255) == IPv4Prefix("10.200.255.0/24"))
        #expect(cluster.subnet(length: 24, index: 256) == nil)
        #expect(cluster.subnet(length: 8, index: 0) == nil)
    }
}

@Suite struct MACAddressTests {
    @Test func parsesAndPrints() {
        #expect(MACAddress("3A:24:90:cb:cd:83")?.description == "3a:24:90:cb:cd:83")
        #expect(MACAddress("3a:24:90:cb:cd") == nil)
        #expect(MACAddress("3a:24:90:cb:cd:8") == nil)
        #expect(MACAddress("zz:24:90:cb:cd:83") == nil)
        #expect(MACAddress.zero.description == "00:00:00:00:00:00")
    }
}
