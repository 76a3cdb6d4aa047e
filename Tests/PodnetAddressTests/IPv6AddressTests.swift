import Foundation
import PodnetAddress
import Testing

@Suite struct IPv6AddressTests {
    @Test func bytesAreNetworkOrder() {
        let address = IPv6Address("2001:db8:1:2:3:4:5:6789")!
        #expect(address.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0x67, 0x89])
        #expect(IPv6Address(bytes: address.bytes) == address)
        #expect(IPv6Address(bytes: [UInt8](repeating: 0, count: 15)) == nil)
        #expect(IPv6Address(bytes: [UInt8](repeating: 0, count: 17)) == nil)
        #expect(IPv6Address(bytes: [UInt8](repeating: 0xff, count: 16)) == IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
    }

    @Test func halvesAndGroups() {
        let address = IPv6Address("2001:db8:0:1::42")!
        #expect(address.high == 0x2001_0db8_0000_0001)
        #expect(address.low == 0x42)
        #expect(IPv6Address(groups: address.groups) == address)
        #expect(IPv6Address(groups: [1, 2, 3]) == nil)
    }

    @Test func ipv4Mapped() {
        let ipv4 = IPv4Address("192.0.2.1")!
        #expect(IPv6Address(ipv4Mapped: ipv4) == IPv6Address("::ffff:192.0.2.1"))
        #expect(IPv6Address("::ffff:c000:201")!.ipv4Mapped == ipv4)
        #expect(IPv6Address("::c000:201")!.ipv4Mapped == nil)
        #expect(IPv6Address("1::ffff:c000:201")!.ipv4Mapped == nil)
    }

    @Test func kinds() {
        #expect(IPv6Address("ff02::1")!.isMulticast)
        #expect(IPv6Address("ff00::")!.isMulticast)
        #expect(!IPv6Address("fe80::1")!.isMulticast)
        #expect(IPv6Address("fe80::1")!.isLinkLocal)
        #expect(IPv6Address("febf:ffff::1")!.isLinkLocal)
        #expect(!IPv6Address("fec0::1")!.isLinkLocal)
        #expect(!IPv6Address("fe7f::1")!.isLinkLocal)
        #expect(IPv6Address("::1")!.isLoopback)
        #expect(!IPv6Address("::2")!.isLoopback)
        #expect(!IPv6Address("1::1")!.isLoopback)
        #expect(IPv6Address("::")!.isUnspecified)
        #expect(!IPv6Address("::1")!.isUnspecified)
    }

    @Test func orderIsNumeric() {
        let texts = ["::1", "1::", "::", "0:0:0:1::", "ffff::", "::ffff", "0:0:0:0:1::"]
        let sorted = texts.map { IPv6Address($0)! }.sorted().map(\.description)
        #expect(sorted == ["::", "::1", "::ffff", "::1:0:0:0", "0:0:0:1::", "1::", "ffff::"])
    }

    @Test func advancingCarriesAcrossTheHalves() {
        #expect(IPv6Address("::ffff:ffff:ffff:ffff")!.advanced(by: 1) == IPv6Address("0:0:0:1::"))
        #expect(IPv6Address("0:0:0:1::")!.advanced(by: -1) == IPv6Address("::ffff:ffff:ffff:ffff"))
        #expect(IPv6Address("2001:db8::ff")!.advanced(by: 1) == IPv6Address("2001:db8::100"))
        #expect(IPv6Address("2001:db8::1")!.advanced(by: 0) == IPv6Address("2001:db8::1"))
        #expect(IPv6Address("::")!.advanced(by: Int.max) == IPv6Address("::7fff:ffff:ffff:ffff"))
        #expect(IPv6Address("::ffff:ffff:ffff:ffff")!.advanced(by: Int.min) == IPv6Address("::7fff:ffff:ffff:ffff"))
        #expect(IPv6Address("::1")!.adding(.max) == IPv6Address("0:0:0:1::"))
    }

    @Test func advancingStopsAtTheEnds() {
        let last = IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!
        #expect(last.advanced(by: 1) == nil)
        #expect(last.adding(.max) == nil)
        #expect(IPv6Address("ffff:ffff:ffff:ffff::")!.adding(.max) == last)
        #expect(IPv6Address("::")!.advanced(by: -1) == nil)
        #expect(IPv6Address("::5")!.subtracting(6) == nil)
        #expect(IPv6Address("::5")!.subtracting(5) == .unspecified)
    }

    @Test func codableAsCanonicalText() throws {
        let address = IPv6Address("2001:DB8:0:0::1")!
        let json = try JSONEncoder().encode([address])
        #expect(String(decoding: json, as: UTF8.self) == #"["2001:db8::1"]"#)
        #expect(try JSONDecoder().decode([IPv6Address].self, from: json) == [address])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IPv6Address].self, from: Data(#"["fe80::1%eth0"]"#.utf8)) }
    }
}
