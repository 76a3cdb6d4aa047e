import Foundation
import PodnetAddress
import Testing

@Suite struct AddressFamilyTests {
    @Test func kernelNumbersAndKubernetesNames() throws {
        #expect(AddressFamily.ipv4.rawValue == 2)
        #expect(AddressFamily.ipv6.rawValue == 10)
        #expect(AddressFamily(name: "IPv6") == .ipv6)
        #expect(AddressFamily(name: "ipv6") == nil)
        #expect(AddressFamily.allCases.sorted() == [.ipv4, .ipv6])
        #expect(AddressFamily.ipv6.addressBits == 128)
        let json = try JSONEncoder().encode([AddressFamily.ipv6, .ipv4])
        #expect(String(decoding: json, as: UTF8.self) == #"["IPv6","IPv4"]"#)
        #expect(try JSONDecoder().decode([AddressFamily].self, from: json) == [.ipv6, .ipv4])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([AddressFamily].self, from: Data("[10]".utf8)) }
    }
}

@Suite struct IPAddressTests {
    @Test func parsesEitherFamily() {
        #expect(IPAddress("10.200.0.2") == .v4(IPv4Address(10, 200, 0, 2)))
        #expect(IPAddress("2001:DB8::2") == .v6(IPv6Address("2001:db8::2")!))
        #expect(IPAddress("::ffff:10.200.0.2")?.family == .ipv6)
        #expect(IPAddress("10.200.0.2")?.family == .ipv4)
        #expect(IPAddress("2001:DB8::2")?.description == "2001:db8::2")
        for text in ["", "10.200.0", "10.200.0.2/24", "2001:db8::/64", "fe80::1%eth0", "a.b.c.d", "1:2"] {
            #expect(IPAddress(text) == nil, "\(text)")
        }
    }

    @Test func bytesSayTheFamily() {
        #expect(IPAddress(bytes: [10, 0, 0, 1]) == IPAddress("10.0.0.1"))
        #expect(IPAddress(bytes: [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1]) == IPAddress("fe80::1"))
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress("fe80::1")!.bytes.count == 16)
        #expect(IPAddress("10.0.0.1")!.bytes == [10, 0, 0, 1])
    }

    @Test func accessorsAndArithmetic() {
        let v4 = IPAddress("10.0.0.255")!
        let v6 = IPAddress("2001:db8::ffff")!
        #expect(v4.ipv4 == IPv4Address("10.0.0.255") && v4.ipv6 == nil)
        #expect(v6.ipv6 == IPv6Address("2001:db8::ffff") && v6.ipv4 == nil)
        #expect(v4.advanced(by: 1) == IPAddress("10.0.1.0"))
        #expect(v6.advanced(by: 1) == IPAddress("2001:db8::1:0"))
        #expect(IPAddress("255.255.255.255")!.advanced(by: 1) == nil)
        #expect(IPAddress("ff02::1")!.isMulticast && IPAddress("239.0.0.1")!.isMulticast)
        #expect(!IPAddress("fe80::1")!.isMulticast)
    }

    /// IPv4 before IPv6, each in numeric order: the order of a dual-stack list.
    @Test func orderPutsIPv4First() {
        let texts = ["::", "255.255.255.255", "2001:db8::1", "0.0.0.0", "::ffff:0.0.0.1", "10.0.0.1"]
        let sorted = texts.map { IPAddress($0)! }.sorted().map(\.description)
        #expect(sorted == ["0.0.0.0", "10.0.0.1", "255.255.255.255", "::", "::ffff:0.0.0.1", "2001:db8::1"])
        #expect(IPAddress("255.255.255.255")! < IPAddress("::")!)
        #expect(!(IPAddress("::")! < IPAddress("0.0.0.0")!))
    }

    @Test func codableAsText() throws {
        let addresses = [IPAddress("10.200.0.2")!, IPAddress("2001:DB8::2")!]
        let json = try JSONEncoder().encode(addresses)
        #expect(String(decoding: json, as: UTF8.self) == #"["10.200.0.2","2001:db8::2"]"#)
        #expect(try JSONDecoder().decode([IPAddress].self, from: json) == addresses)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IPAddress].self, from: Data(#"["10.200.0.256"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IPAddress].self, from: Data("[1]".utf8)) }
    }
}

@Suite struct IPPrefixTests {
    @Test func parsesEitherFamily() {
        #expect(IPPrefix("10.200.0.0/16") == .v4(IPv4Prefix("10.200.0.0/16")!))
        #expect(IPPrefix("2001:DB8:42::/48") == .v6(IPv6Prefix("2001:db8:42::/48")!))
        #expect(IPPrefix("2001:DB8:42::/48")?.description == "2001:db8:42::/48")
        for text in ["10.200.0.0", "2001:db8::", "10.0.0.0/33", "::/129", "/16", "10.0.0.0/64"] {
            #expect(IPPrefix(text) == nil, "\(text)")
        }
    }

    @Test func propertiesPerFamily() {
        let v4 = IPPrefix("10.200.1.7/24")!
        let v6 = IPPrefix("2001:db8:42:1::7/64")!
        #expect(v4.family == .ipv4 && v6.family == .ipv6)
        #expect(v4.length == 24 && v6.length == 64)
        #expect(v4.hostBits == 8 && v6.hostBits == 64)
        #expect(v4.address == IPAddress("10.200.1.7") && v6.address == IPAddress("2001:db8:42:1::7"))
        #expect(!v4.isNetwork && !v6.isNetwork)
        #expect(v4.network == IPPrefix("10.200.1.0/24") && v6.network == IPPrefix("2001:db8:42:1::/64"))
        #expect(v4.first == IPAddress("10.200.1.0") && v4.last == IPAddress("10.200.1.255"))
        #expect(v6.first == IPAddress("2001:db8:42:1::") && v6.last == IPAddress("2001:db8:42:1:ffff:ffff:ffff:ffff"))
        #expect(v4.ipv4 == IPv4Prefix("10.200.1.7/24") && v4.ipv6 == nil)
        #expect(v6.ipv6 == IPv6Prefix("2001:db8:42:1::7/64") && v6.ipv4 == nil)
        #expect(IPPrefix(address: IPAddress("2001:db8::")!, length: 32) == IPPrefix("2001:db8::/32"))
        #expect(IPPrefix.everything(.ipv6) == IPPrefix("::/0") && IPPrefix.everything(.ipv4) == IPPrefix("0.0.0.0/0"))
    }

    /// Nothing of one family contains or overlaps anything of the other, not even
    /// 0.0.0.0/0 and ::/0, nor ::ffff:0:0/96 and the IPv4 addresses it maps.
    @Test func familiesNeverMix() {
        let v4All = IPPrefix.everything(.ipv4)
        let v6All = IPPrefix.everything(.ipv6)
        #expect(!v4All.overlaps(v6All) && !v6All.overlaps(v4All))
        #expect(!v4All.contains(IPAddress("::")!) && !v6All.contains(IPAddress("10.0.0.1")!))
        #expect(!v6All.contains(v4All) && !v4All.contains(v6All))
        #expect(!IPPrefix("::ffff:0:0/96")!.contains(IPAddress("10.0.0.1")!))
        #expect(v4All.contains(IPAddress("10.0.0.1")!) && v6All.contains(IPAddress("::1")!))
        #expect(v6All.contains(IPPrefix("2001:db8::/32")!) && v6All.overlaps(IPPrefix("2001:db8::/32")!))
    }

    @Test func subnetsPerFamily() {
        #expect(IPPrefix("10.200.0.0/16")!.subnet(length: 24, index: 3) == IPPrefix("10.200.3.0/24"))
        #expect(IPPrefix("2001:db8:42::/48")!.subnet(length: 64, index: 3) == IPPrefix("2001:db8:42:3::/64"))
        #expect(IPPrefix("10.200.0.0/16")!.subnet(length: 64, index: 0) == nil)
    }

    @Test func orderPutsIPv4FirstThenAddressThenLength() {
        let texts = ["2001:db8::/32", "10.0.0.0/16", "::/0", "10.0.0.0/8", "2001:db8::/48", "0.0.0.0/0"]
        let sorted = texts.map { IPPrefix($0)! }.sorted().map(\.description)
        #expect(sorted == ["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "::/0", "2001:db8::/32", "2001:db8::/48"])
    }

    @Test func codableAsText() throws {
        let prefixes = [IPPrefix("10.200.0.0/16")!, IPPrefix("2001:db8:42::/48")!]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let json = try encoder.encode(prefixes)
        #expect(String(decoding: json, as: UTF8.self) == #"["10.200.0.0/16","2001:db8:42::/48"]"#)
        #expect(try JSONDecoder().decode([IPPrefix].self, from: json) == prefixes)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IPPrefix].self, from: Data(#"["10.200.0.1"]"#.utf8)) }
    }
}
