import PodnetAddress
import Testing
@testable import PodnetNetlink

/// ndmsg (linux/neighbour.h): family u8, pad1 u8, pad2 u16, ifindex i32, state u16,
/// flags u8, type u8; NDA_* attributes.
@Suite struct NeighbourRequestEncodingTests {
    let mac = MACAddress("02:00:00:00:00:01")!

    @Test func permanentNeighbour() throws {
        let entry = NeighbourMessage.permanent(IPAddress.v4(IPv4Address(10, 244, 1, 0)), at: mac, onLink: 8)
        expectBytes(try sentBytes(.addNeighbour(entry, mode: .replace)), hexBytes("""
            30 00 00 00  1c 00  05 05  01 00 00 00  00 00 00 00   # 48 bytes, RTM_NEWNEIGH, CREATE|REPLACE
            02 00 00 00  08 00 00 00                  # AF_INET, pads, ifindex 8
            80 00 00 00                               # NUD_PERMANENT, flags 0, type 0
            08 00 01 00  0a f4 01 00                  # NDA_DST 10.244.1.0
            0a 00 02 00  02 00 00 00 00 01  00 00     # NDA_LLADDR
            """))
        expectBytes(try sentBytes(.deleteNeighbour(entry)), hexBytes("""
            30 00 00 00  1d 00  05 00  01 00 00 00  00 00 00 00   # RTM_DELNEIGH
            02 00 00 00  08 00 00 00  80 00 00 00
            08 00 01 00  0a f4 01 00
            0a 00 02 00  02 00 00 00 00 01  00 00
            """))
    }

    @Test func forwardingEntryOfVXLANDevice() throws {
        let entry = NeighbourMessage.forwardingEntry(mac, remote: IPAddress.v4(IPv4Address(10, 0, 0, 2)), onLink: 8)
        expectBytes(try sentBytes(.addNeighbour(entry, mode: .append)), hexBytes("""
            30 00 00 00  1c 00  05 0c  01 00 00 00  00 00 00 00   # RTM_NEWNEIGH, CREATE|APPEND (0xc00)
            07 00 00 00  08 00 00 00                  # AF_BRIDGE, ifindex 8
            80 00 02 00                               # NUD_PERMANENT, NTF_SELF, type 0
            0a 00 02 00  02 00 00 00 00 01  00 00     # NDA_LLADDR
            08 00 01 00  0a 00 00 02                  # NDA_DST 10.0.0.2: the remote VTEP
            """))
    }

    @Test func dumps() throws {
        expectBytes(try sentBytes(.dumpNeighbours(), dump: true), hexBytes("""
            1c 00 00 00  1e 00  01 03  01 00 00 00  00 00 00 00   # RTM_GETNEIGH, dump
            00 00 00 00  00 00 00 00  00 00 00 00     # AF_UNSPEC: ARP and NDP entries
            """))
        expectBytes(try sentBytes(.dumpNeighbours(family: .ipv6), dump: true), hexBytes("""
            1c 00 00 00  1e 00  01 03  01 00 00 00  00 00 00 00
            0a 00 00 00  00 00 00 00  00 00 00 00     # AF_INET6: NDP only
            """))
        expectBytes(try sentBytes(.dumpForwardingEntries(), dump: true), hexBytes("""
            1c 00 00 00  1e 00  01 03  01 00 00 00  00 00 00 00
            07 00 00 00  00 00 00 00  00 00 00 00     # AF_BRIDGE
            """))
    }
}
