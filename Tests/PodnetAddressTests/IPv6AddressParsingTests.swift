import PodnetAddress
import Testing

/// The text forms RFC 4291 §2.2 allows, and what it does not.
@Suite struct IPv6AddressParsingTests {
    /// RFC 4291 §2.2's own examples, each with the groups it means.
    @Test(arguments: [
        ("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", [0xabcd, 0xef01, 0x2345, 0x6789, 0xabcd, 0xef01, 0x2345, 0x6789]),
        ("2001:DB8:0:0:8:800:200C:417A", [0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]),
        ("2001:DB8::8:800:200C:417A", [0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]),
        ("FF01:0:0:0:0:0:0:101", [0xff01, 0, 0, 0, 0, 0, 0, 0x101]),
        ("FF01::101", [0xff01, 0, 0, 0, 0, 0, 0, 0x101]),
        ("0:0:0:0:0:0:0:1", [0, 0, 0, 0, 0, 0, 0, 1]),
        ("::1", [0, 0, 0, 0, 0, 0, 0, 1]),
        ("0:0:0:0:0:0:0:0", [0, 0, 0, 0, 0, 0, 0, 0]),
        ("::", [0, 0, 0, 0, 0, 0, 0, 0]),
        ("0:0:0:0:0:0:13.1.68.3", [0, 0, 0, 0, 0, 0, 0x0d01, 0x4403]),
        ("::13.1.68.3", [0, 0, 0, 0, 0, 0, 0x0d01, 0x4403]),
        ("0:0:0:0:0:FFFF:129.144.52.38", [0, 0, 0, 0, 0, 0xffff, 0x8190, 0x3426]),
        ("::FFFF:129.144.52.38", [0, 0, 0, 0, 0, 0xffff, 0x8190, 0x3426]),
    ] as [(String, [UInt16])])
    func rfc4291Examples(_ text: String, _ groups: [UInt16]) {
        #expect(IPv6Address(text)?.groups == groups)
    }

    /// `::` anywhere, for one zero group or seven, and leading zeros up to 4 digits.
    @Test(arguments: [
        ("1::", [1, 0, 0, 0, 0, 0, 0, 0]),
        ("::8", [0, 0, 0, 0, 0, 0, 0, 8]),
        ("1:2:3:4:5:6:7::", [1, 2, 3, 4, 5, 6, 7, 0]),
        ("::2:3:4:5:6:7:8", [0, 2, 3, 4, 5, 6, 7, 8]),
        ("1:2:3::6:7:8", [1, 2, 3, 0, 0, 6, 7, 8]),
        ("1:2:3:4::6:7:8", [1, 2, 3, 4, 0, 6, 7, 8]),
        ("0001:0002:003:04:5:6:7:0", [1, 2, 3, 4, 5, 6, 7, 0]),
        ("0000::0000", [0, 0, 0, 0, 0, 0, 0, 0]),
        ("fFfF::FfFf", [0xffff, 0, 0, 0, 0, 0, 0, 0xffff]),
        ("1:2:3:4:5:6:1.2.3.4", [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]),
        ("1::5:6:1.2.3.4", [1, 0, 0, 0, 5, 6, 0x0102, 0x0304]),
        ("::ffff:0.0.0.0", [0, 0, 0, 0, 0, 0xffff, 0, 0]),
        ("64:ff9b::192.0.2.33", [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221]),
    ] as [(String, [UInt16])])
    func compressionAndLeadingZeros(_ text: String, _ groups: [UInt16]) {
        #expect(IPv6Address(text)?.groups == groups)
    }

    /// Every rejected form, with the reason a user is told.
    @Test(arguments: [
        ("", IPv6AddressSyntaxError.empty),
        ("fe80::1%eth0", .zoneIndex("eth0")),
        ("fe80::1%", .zoneIndex("")),
        ("1::2::3", .moreThanOneDoubleColon),
        ("::1::", .moreThanOneDoubleColon),
        ("1::::2", .moreThanOneDoubleColon),
        (":::", .emptyGroup),
        ("1:::2", .emptyGroup),
        (":1::", .emptyGroup),
        ("1::2:", .emptyGroup),
        (":", .emptyGroup),
        (":1:2:3:4:5:6:7:8", .emptyGroup),
        ("1:2:3:4:5:6:7:8:", .emptyGroup),
        ("1:2:3:4:5:6:7:8:9", .tooManyGroups(9)),
        ("1:2:3:4:5:6:7:1.2.3.4", .tooManyGroups(9)),
        ("1:2:3:4:5:6:7", .tooFewGroups(7)),
        ("1", .tooFewGroups(1)),
        ("1.2.3.4", .tooFewGroups(2)),
        ("1:2:3:4:5:6:7:8::", .noGroupsForDoubleColon(8)),
        ("::1:2:3:4:5:6:7:8", .noGroupsForDoubleColon(8)),
        ("1:2:3:4::5:6:7:8", .noGroupsForDoubleColon(8)),
        ("1:2:3:4:5:6::1.2.3.4", .noGroupsForDoubleColon(8)),
        ("12345::", .groupTooLong("12345")),
        ("::00000", .groupTooLong("00000")),
        ("::g", .invalidCharacter("g")),
        (" ::1", .invalidCharacter(" ")),
        ("::1 ", .invalidCharacter(" ")),
        ("[::1]", .invalidCharacter("[")),
        ("::1/128", .invalidCharacter("/")),
        ("+1::", .invalidCharacter("+")),
        ("-1::", .invalidCharacter("-")),
        ("0x1::", .invalidCharacter("x")),
        ("::１", .invalidCharacter("１")),
        ("1.2.3.4::", .misplacedIPv4Part("1.2.3.4")),
        ("::1.2.3.4:5", .misplacedIPv4Part("1.2.3.4")),
        ("1.2.3.4::5", .misplacedIPv4Part("1.2.3.4")),
        ("::1.2.3", .invalidIPv4Part("1.2.3")),
        ("::1.2.3.04", .invalidIPv4Part("1.2.3.04")),
        ("::256.1.1.1", .invalidIPv4Part("256.1.1.1")),
        ("::ffff:1.2.3.4.5", .invalidIPv4Part("1.2.3.4.5")),
        ("::1.2.3.a", .invalidIPv4Part("1.2.3.a")),
        ("::.", .invalidIPv4Part(".")),
    ] as [(String, IPv6AddressSyntaxError)])
    func rejectsWithReason(_ text: String, _ reason: IPv6AddressSyntaxError) {
        #expect(throws: reason) { try IPv6Address(parsing: text) }
        #expect(IPv6Address(text) == nil)
    }

    @Test func reasonsAreWrittenForUsers() {
        #expect(IPv6AddressSyntaxError.zoneIndex("eth0").description
            == "a zone index ('%eth0') is not part of the address here; write the address without it")
        #expect(IPv6AddressSyntaxError.tooManyGroups(9).description == "it has 9 groups; an IPv6 address has 8")
    }

    /// Parsing takes any StringProtocol, as the YAML reader hands out substrings.
    @Test func parsesSubstrings() {
        let text = "[2001:db8::1]:80"
        let inner = text.dropFirst().prefix(while: { $0 != "]" })
        #expect(IPv6Address(inner) == IPv6Address("2001:db8::1"))
    }
}
