import PodnetAddress
import Testing
@testable import PodnetNetlink

/// rtmsg (linux/rtnetlink.h): family, dst_len, src_len, tos, table, protocol, scope,
/// type (u8 each), flags u32; RTA_* attributes.
@Suite struct RouteRequestEncodingTests {
    @Test func onlinkThroughGatewayInMainTable() throws {
        let route = RouteMessage(destination: IPPrefix("10.244.2.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 3)),
                                 outputInterface: 7, flags: .onlink)
        expectBytes(try sentBytes(.addRoute(route)), hexBytes("""
            34 00 00 00  18 00  05 06  01 00 00 00  00 00 00 00   # 52 bytes, RTM_NEWROUTE, create
            02 18 00 00                               # AF_INET, /24, src_len 0, tos 0
            fe 03 00 01                               # table main, proto boot, scope universe, unicast
            04 00 00 00                               # RTNH_F_ONLINK
            08 00 01 00  0a f4 02 00                  # RTA_DST 10.244.2.0
            08 00 05 00  0a 00 00 03                  # RTA_GATEWAY 10.0.0.3
            08 00 04 00  07 00 00 00                  # RTA_OIF 7
            """))
    }

    @Test func tableBeyondEightBitsGoesInAttribute() throws {
        var route = RouteMessage(destination: IPPrefix("10.244.1.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 2)),
                                 outputInterface: 7, table: RouteTable(rawValue: 1000),
                                 protocol: RouteProtocol(rawValue: 250), flags: .onlink)
        route.priority = 100
        expectBytes(try sentBytes(.addRoute(route, mode: .replace)), hexBytes("""
            44 00 00 00  18 00  05 05  01 00 00 00  00 00 00 00   # 68 bytes, CREATE|REPLACE
            02 18 00 00
            00 fa 00 01                               # table RT_TABLE_UNSPEC, proto 250
            04 00 00 00
            08 00 01 00  0a f4 01 00                  # RTA_DST
            08 00 05 00  0a 00 00 02                  # RTA_GATEWAY
            08 00 0f 00  e8 03 00 00                  # RTA_TABLE 1000
            08 00 04 00  07 00 00 00                  # RTA_OIF 7
            08 00 06 00  64 00 00 00                  # RTA_PRIORITY 100
            """))
    }

    @Test func directRouteHasLinkScope() throws {
        let route = RouteMessage(destination: IPPrefix("10.244.0.0/16")!, outputInterface: 2)
        expectBytes(try sentBytes(.addRoute(route)), hexBytes("""
            2c 00 00 00  18 00  05 06  01 00 00 00  00 00 00 00
            02 10 00 00  fe 03 fd 01  00 00 00 00     # /16, main, boot, scope link (253), unicast
            08 00 01 00  0a f4 00 00
            08 00 04 00  02 00 00 00
            """))
    }

    @Test func deleteMatchesAnyScope() throws {
        let route = RouteMessage(destination: IPPrefix("10.244.2.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 3)),
                                 outputInterface: 7)
        expectBytes(try sentBytes(.deleteRoute(route)), hexBytes("""
            34 00 00 00  19 00  05 00  01 00 00 00  00 00 00 00   # RTM_DELROUTE
            02 18 00 00  fe 03 ff 01  00 00 00 00     # scope RT_SCOPE_NOWHERE: any
            08 00 01 00  0a f4 02 00
            08 00 05 00  0a 00 00 03
            08 00 04 00  07 00 00 00
            """))
    }

    @Test func dumps() throws {
        expectBytes(try sentBytes(.dumpRoutes(), dump: true), hexBytes("""
            1c 00 00 00  1a 00  01 03  01 00 00 00  00 00 00 00   # RTM_GETROUTE, dump
            02 00 00 00  00 00 00 00  00 00 00 00     # AF_INET, everything else 0 (strict checking)
            """))
        expectBytes(try sentBytes(.dumpRoutes(table: .main), dump: true), hexBytes("""
            24 00 00 00  1a 00  01 03  01 00 00 00  00 00 00 00
            02 00 00 00  00 00 00 00  00 00 00 00
            08 00 0f 00  fe 00 00 00                  # RTA_TABLE 254: main only
            """))
    }
}
