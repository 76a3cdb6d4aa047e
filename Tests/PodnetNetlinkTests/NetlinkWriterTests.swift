import PodnetAddress
import Testing
@testable import PodnetNetlink

@Suite struct NetlinkWriterTests {
    @Test func attributesArePaddedToFourBytesButCountedUnpadded() {
        var writer = NetlinkWriter()
        writer.put(3, string: "veth0")  // 4 + 6 bytes, 2 of padding
        writer.put(16, u8: 6)
        writer.put(15, u16BigEndian: 4789)
        #expect(writer.bytes == hexBytes("""
            0a 00 03 00  76 65 74 68 30 00  00 00   # len 10, type 3, "veth0\\0", pad
            05 00 10 00  06  00 00 00               # len 5, type 16, u8 6, pad
            06 00 0f 00  12 b5  00 00               # len 6, type 15, 4789 big-endian, pad
            """))
    }

    @Test func nestLengthCoversPaddedChildren() {
        var writer = NetlinkWriter()
        writer.nest(18) { info in
            info.put(1, string: "veth")
            info.nest(2, nestedFlag: true) { $0.put(flag: 7) }
        }
        let expected = hexBytes("""
            18 00 12 00                               # nest len 24, type 18
              09 00 01 00  76 65 74 68 00  00 00 00   # "veth\\0", 3 bytes of padding
              08 00 02 80                             # nest len 8, type 2 | NLA_F_NESTED
                04 00 07 00                           # flag attribute: header only
            """)
        #expect(writer.bytes == expected)
    }

    @Test func messageLengthIncludesPadding() {
        var writer = NetlinkWriter()
        writer.message(type: 16, flags: 5, sequence: 9, portID: 0) { $0.append(UInt8(1)) }
        #expect(writer.bytes == hexBytes("""
            14 00 00 00  10 00  05 00  09 00 00 00  00 00 00 00   # len 20 (17 padded)
            01 00 00 00
            """))
    }

    @Test func addressesGoInNetworkOrder() {
        var writer = NetlinkWriter()
        writer.put(1, ipv4: IPv4Address(10, 244, 1, 2))
        writer.put(2, mac: MACAddress("02:00:0a:f4:01:02")!)
        #expect(writer.bytes == hexBytes("""
            08 00 01 00  0a f4 01 02
            0a 00 02 00  02 00 0a f4 01 02  00 00
            """))
    }
}
