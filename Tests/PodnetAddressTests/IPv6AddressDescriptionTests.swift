import PodnetAddress
import Testing

/// RFC 5952's canonical text form.
@Suite struct IPv6AddressDescriptionTests {
    /// §2.1: eight spellings of one address, printed one way.
    @Test(arguments: [
        "2001:db8:0:0:1:0:0:1", "2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "2001:db8::0:1:0:0:1",
        "2001:0db8::1:0:0:1", "2001:db8:0:0:1::1", "2001:db8:0000:0:1::1", "2001:DB8:0:0:1::1",
    ])
    func oneAddressOneText(_ text: String) {
        #expect(IPv6Address(text)?.description == "2001:db8::1:0:0:1")
    }

    @Test(arguments: [
        // §4.1: leading zeros dropped ("0001" is "1", "0000" is "0").
        ("2001:0db8::0001", "2001:db8::1"),
        ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"),
        ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"),
        ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:01", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"),
        // §4.2.1: '::' shortens as much as possible.
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:db8::0:1", "2001:db8::1"),
        ("2001:db8:0:0:0::1", "2001:db8::1"),
        ("2001:db8:0::1", "2001:db8::1"),
        // §4.2.2: a single zero group is not compressed.
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        // §4.2.3: the longest run; the first of equal runs.
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8::aaaa:0:0:1", "2001:db8::aaaa:0:0:1"),
        ("2001:db8:0:0:aaaa::1", "2001:db8::aaaa:0:0:1"),
        ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
        ("1:0:2:0:0:3:0:0", "1:0:2::3:0:0"),
        // §4.3: lowercase.
        ("2001:DB8::ABCD", "2001:db8::abcd"),
        ("FF01:0:0:0:0:0:0:101", "ff01::101"),
        // The ends.
        ("0:0:0:0:0:0:0:0", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("1:0:0:0:0:0:0:0", "1::"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        // §5: an IPv4-mapped address ends dotted; others with IPv4 inside do not.
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("0:0:0:0:0:FFFF:129.144.52.38", "::ffff:129.144.52.38"),
        ("::ffff:0:0", "::ffff:0.0.0.0"),
        ("::13.1.68.3", "::d01:4403"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("::1:ffff:1.2.3.4", "::1:ffff:102:304"),
    ] as [(String, String)])
    func canonicalForm(_ text: String, _ canonical: String) {
        #expect(IPv6Address(text)?.description == canonical)
    }
}
