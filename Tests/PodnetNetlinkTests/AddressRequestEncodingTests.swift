import PodnetAddress
import Testing
@testable import PodnetNetlink

/// ifaddrmsg (linux/if_addr.h): family u8, prefixlen u8, flags u8, scope u8, index u32.
@Suite struct AddressRequestEncodingTests {
    let address = AddressMessage(index: 3, prefix: IPPrefix("10.244.0.1/24")!)

    @Test func add() throws {
        expectBytes(try sentBytes(.addAddress(address)), hexBytes("""
            28 00 00 00  14 00  05 06  01 00 00 00  00 00 00 00   # 40 bytes, RTM_NEWADDR, create
            02 18 00 00  03 00 00 00                  # AF_INET, /24, flags 0, scope universe, index 3
            08 00 02 00  0a f4 00 01                  # IFA_LOCAL 10.244.0.1
            08 00 01 00  0a f4 00 01                  # IFA_ADDRESS 10.244.0.1
            """))
    }

    @Test func delete() throws {
        expectBytes(try sentBytes(.deleteAddress(address)), hexBytes("""
            28 00 00 00  15 00  05 00  01 00 00 00  00 00 00 00   # RTM_DELADDR
            02 18 00 00  03 00 00 00
            08 00 02 00  0a f4 00 01
            08 00 01 00  0a f4 00 01
            """))
    }

    @Test func dump() throws {
        expectBytes(try sentBytes(.dumpAddresses(), dump: true), hexBytes("""
            18 00 00 00  16 00  01 03  01 00 00 00  00 00 00 00   # RTM_GETADDR, dump
            00 00 00 00  00 00 00 00                  # AF_UNSPEC: both families, no filter
            """))
        expectBytes(try sentBytes(.dumpAddresses(family: .ipv4), dump: true), hexBytes("""
            18 00 00 00  16 00  01 03  01 00 00 00  00 00 00 00
            02 00 00 00  00 00 00 00                  # AF_INET only
            """))
        expectBytes(try sentBytes(.dumpAddresses(family: .ipv6, linkIndex: 4), dump: true), hexBytes("""
            18 00 00 00  16 00  01 03  01 00 00 00  00 00 00 00
            0a 00 00 00  04 00 00 00                  # AF_INET6, filtered by index 4 (strict checking)
            """))
    }
}
