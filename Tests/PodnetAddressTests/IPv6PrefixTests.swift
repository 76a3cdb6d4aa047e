import Foundation
import PodnetAddress
import Testing

@Suite struct IPv6PrefixTests {
    @Test func parsesAndDescribes() {
        let prefix = IPv6Prefix("2001:DB8:42::/48")!
        #expect(prefix.address == IPv6Address("2001:db8:42::"))
        #expect(prefix.length == 48)
        #expect(prefix.description == "2001:db8:42::/48")
        #expect(prefix.isNetwork)
        let interface = IPv6Prefix("2001:db8:42:1::1/64")!
        #expect(!interface.isNetwork)
        #expect(interface.network == IPv6Prefix("2001:db8:42:1::/64"))
        #expect(IPv6Prefix("::/0") == .everything)
        #expect(IPv6Prefix("::1/128")?.isNetwork == true)
    }

    @Test(arguments: [
        ("2001:db8::", IPv6PrefixSyntaxError.missingLength),
        ("2001:db8::/", .invalidLength("")),
        ("2001:db8::/129", .invalidLength("129")),
        ("2001:db8::/064", .invalidLength("064")),
        ("2001:db8::/-1", .invalidLength("-1")),
        ("2001:db8::/64/64", .invalidLength("64/64")),
        ("2001:db8::/ 64", .invalidLength(" 64")),
        ("/64", .address(.empty)),
        ("fe80::%eth0/64", .address(.zoneIndex("eth0"))),
        ("2001:db8::1::/64", .address(.moreThanOneDoubleColon)),
        ("10.0.0.0/8", .address(.tooFewGroups(2))),
    ] as [(String, IPv6PrefixSyntaxError)])
    func rejectsWithReason(_ text: String, _ reason: IPv6PrefixSyntaxError) {
        #expect(throws: reason) { try IPv6Prefix(parsing: text) }
        #expect(IPv6Prefix(text) == nil)
    }

    @Test func masks() {
        #expect(IPv6Prefix("::/0")!.mask == IPv6Address("::"))
        #expect(IPv6Prefix("::/1")!.mask == IPv6Address("8000::"))
        #expect(IPv6Prefix("::/48")!.mask == IPv6Address("ffff:ffff:ffff::"))
        #expect(IPv6Prefix("::/64")!.mask == IPv6Address("ffff:ffff:ffff:ffff::"))
        #expect(IPv6Prefix("::/65")!.mask == IPv6Address("ffff:ffff:ffff:ffff:8000::"))
        #expect(IPv6Prefix("::/127")!.mask == IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"))
        #expect(IPv6Prefix("::/128")!.mask == IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
    }

    /// /0, /64, /127 and /128: the first, the last, what they contain and hold.
    @Test func edges() {
        let all = IPv6Prefix("::/0")!
        #expect(all.first == IPv6Address("::"))
        #expect(all.last == IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(all.contains(IPv6Address("2001:db8::1")!))
        #expect(all.contains(IPv6Prefix("2001:db8::/32")!))
        #expect(all.size == nil)
        #expect(all.hostBits == 128)

        let subnet = IPv6Prefix("2001:db8:0:7::/64")!
        #expect(subnet.first == IPv6Address("2001:db8:0:7::"))
        #expect(subnet.last == IPv6Address("2001:db8:0:7:ffff:ffff:ffff:ffff"))
        #expect(subnet.contains(IPv6Address("2001:db8:0:7:ffff:ffff:ffff:ffff")!))
        #expect(!subnet.contains(IPv6Address("2001:db8:0:8::")!))
        #expect(!subnet.contains(IPv6Address("2001:db8:0:6:ffff:ffff:ffff:ffff")!))
        #expect(subnet.size == nil)
        #expect(subnet.hostBits == 64)
        #expect(IPv6Prefix("::/65")!.size == UInt64(1) << 63)

        let pointToPoint = IPv6Prefix("2001:db8::4/127")!
        #expect(pointToPoint.first == IPv6Address("2001:db8::4"))
        #expect(pointToPoint.last == IPv6Address("2001:db8::5"))
        #expect(pointToPoint.contains(IPv6Address("2001:db8::5")!))
        #expect(!pointToPoint.contains(IPv6Address("2001:db8::6")!))
        #expect(!pointToPoint.contains(IPv6Address("2001:db8::3")!))
        #expect(pointToPoint.size == 2)

        let host = IPv6Prefix("2001:db8::5/128")!
        #expect(host.first == host.last)
        #expect(host.contains(IPv6Address("2001:db8::5")!))
        #expect(!host.contains(IPv6Address("2001:db8::4")!))
        #expect(host.size == 1)
        #expect(host.hostBits == 0)
    }

    @Test func prefixContainment() {
        let cluster = IPv6Prefix("2001:db8:42::/48")!
        let node = IPv6Prefix("2001:db8:42:7::/64")!
        #expect(cluster.contains(node))
        #expect(!node.contains(cluster))
        #expect(cluster.contains(cluster))
        #expect(!cluster.contains(IPv6Prefix("2001:db8:43::/64")!))
        #expect(!cluster.contains(IPv6Prefix("2001:db8::/32")!))
        #expect(node.contains(IPv6Prefix("2001:db8:42:7::1/128")!))
    }

    @Test func overlaps() {
        let cluster = IPv6Prefix("2001:db8:42::/48")!
        #expect(cluster.overlaps(IPv6Prefix("2001:db8:42:ffff::/64")!))
        #expect(IPv6Prefix("2001:db8:42:ffff::/64")!.overlaps(cluster))
        #expect(IPv6Prefix("2001:db8::/32")!.overlaps(cluster))
        #expect(!cluster.overlaps(IPv6Prefix("2001:db8:43::/48")!))
        #expect(!IPv6Prefix("::/1")!.overlaps(IPv6Prefix("8000::/1")!))
        #expect(IPv6Prefix("::/0")!.overlaps(IPv6Prefix("ffff::1/128")!))
    }

    /// What node pod CIDRs come from: the n-th /64 of a /48 (65,536 of them) or a /56.
    @Test func subnets() {
        let cluster = IPv6Prefix("2001:db8:42::/48")!
        #expect(cluster.subnet(length: 64, index: 0) == IPv6Prefix("2001:db8:42::/64"))
        #expect(cluster.subnet(length: 64, index: 1) == IPv6Prefix("2001:db8:42:1::/64"))
        #expect(cluster.subnet(length: 64, index: 65_535) == IPv6Prefix("2001:db8:42:ffff::/64"))
        #expect(cluster.subnet(length: 64, index: 65_536) == nil)
        #expect(cluster.subnet(length: 48, index: 0) == cluster)
        #expect(cluster.subnet(length: 48, index: 1) == nil)
        #expect(cluster.subnet(length: 47, index: 0) == nil)
        #expect(cluster.subnet(length: 129, index: 0) == nil)

        let site = IPv6Prefix("2001:db8:42:100::/56")!
        #expect(site.subnet(length: 64, index: 5) == IPv6Prefix("2001:db8:42:105::/64"))
        #expect(site.subnet(length: 64, index: 255) == IPv6Prefix("2001:db8:42:1ff::/64"))
        #expect(site.subnet(length: 64, index: 256) == nil)
    }

    /// Subnets at the edges: indexes wider than 64 bits, across the halves, /128s.
    @Test func subnetsAtTheEdges() {
        let all = IPv6Prefix.everything
        #expect(all.subnet(length: 1, index: 1) == IPv6Prefix("8000::/1"))
        #expect(all.subnet(length: 64, index: .max) == IPv6Prefix("ffff:ffff:ffff:ffff::/64"))
        #expect(all.subnet(length: 128, index: .max) == IPv6Prefix("::ffff:ffff:ffff:ffff/128"))
        #expect(all.subnet(length: 0, index: 0) == all)
        let subnet = IPv6Prefix("2001:db8::/64")!
        #expect(subnet.subnet(length: 128, index: .max) == IPv6Prefix("2001:db8::ffff:ffff:ffff:ffff/128"))
        #expect(subnet.subnet(length: 65, index: 1) == IPv6Prefix("2001:db8::8000:0:0:0/65"))
        #expect(subnet.subnet(length: 65, index: 2) == nil)
        let halves = IPv6Prefix("2001:db8::/60")!
        #expect(halves.subnet(length: 68, index: 0xff) == IPv6Prefix("2001:db8:0:f:f000::/68"))
        let pointToPoint = IPv6Prefix("2001:db8::4/127")!
        #expect(pointToPoint.subnet(length: 128, index: 1) == IPv6Prefix("2001:db8::5/128"))
        #expect(pointToPoint.subnet(length: 128, index: 2) == nil)
    }

    /// Hosts skip the subnet-router anycast address, as CNI's host-local does; no broadcast.
    @Test func hosts() {
        let subnet = IPv6Prefix("2001:db8:42:7::/64")!
        #expect(subnet.hosts == IPv6Address("2001:db8:42:7::1")!...IPv6Address("2001:db8:42:7:ffff:ffff:ffff:ffff")!)
        #expect(subnet.host(at: 0) == IPv6Address("2001:db8:42:7::1"))
        #expect(subnet.host(at: 1) == IPv6Address("2001:db8:42:7::2"))
        #expect(subnet.host(at: UInt64.max - 1) == IPv6Address("2001:db8:42:7:ffff:ffff:ffff:ffff"))
        #expect(subnet.host(at: .max) == nil)
        let small = IPv6Prefix("2001:db8::/126")!
        #expect(small.host(at: 2) == IPv6Address("2001:db8::3"))
        #expect(small.host(at: 3) == nil)
        #expect(IPv6Prefix("2001:db8::4/127")!.hosts == IPv6Address("2001:db8::4")!...IPv6Address("2001:db8::5")!)
        #expect(IPv6Prefix("2001:db8::5/128")!.hosts == IPv6Address("2001:db8::5")!...IPv6Address("2001:db8::5")!)
        #expect(IPv6Prefix("2001:db8::5/128")!.host(at: 1) == nil)
        let last = IPv6Prefix("ffff:ffff:ffff:ffff::/64")!
        #expect(last.host(at: .max - 1) == IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(last.host(at: .max) == nil)
    }

    @Test func codableAsText() throws {
        let prefix = IPv6Prefix("2001:db8:42::/48")!
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let json = try encoder.encode([prefix])
        #expect(String(decoding: json, as: UTF8.self) == #"["2001:db8:42::/48"]"#)
        #expect(try JSONDecoder().decode([IPv6Prefix].self, from: json) == [prefix])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([IPv6Prefix].self, from: Data(#"["2001:db8::"]"#.utf8)) }
    }
}
