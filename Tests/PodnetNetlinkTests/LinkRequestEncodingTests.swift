import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Every link request, byte for byte as the kernel receives it. Layouts from
/// linux/netlink.h (nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32),
/// linux/rtnetlink.h (ifinfomsg: family u8, pad u8, type u16, index i32, flags u32,
/// change u32) and linux/if_link.h (IFLA_* numbers); everything host order (little
/// endian here) except addresses and the vxlan port.
@Suite struct LinkRequestEncodingTests {
    @Test func vethWithPeerBornInAnotherNamespace() throws {
        var peer = LinkMessage(name: "eth0")
        peer.mtu = 1400
        peer.namespaceFD = 7
        peer.setUp(true)
        var link = LinkMessage(name: "veth0", info: .veth(peer: peer))
        link.mtu = 1400
        link.setUp(true)
        expectBytes(try sentBytes(.addLink(link)), hexBytes("""
            74 00 00 00   # nlmsg_len 116
            10 00         # RTM_NEWLINK
            05 06         # NLM_F_REQUEST|NLM_F_ACK (0x005) | NLM_F_EXCL|NLM_F_CREATE (0x600)
            01 00 00 00   # sequence 1
            00 00 00 00   # port id 0
            00 00 00 00   # ifinfomsg: AF_UNSPEC, pad, type 0
            00 00 00 00   # index 0: the kernel chooses
            01 00 00 00   # flags IFF_UP
            01 00 00 00   # change IFF_UP
            0a 00 03 00  76 65 74 68 30 00  00 00     # IFLA_IFNAME "veth0"
            08 00 04 00  78 05 00 00                  # IFLA_MTU 1400
            40 00 12 00                               # IFLA_LINKINFO, 64 bytes
              08 00 01 00  76 65 74 68                # IFLA_INFO_KIND "veth", unterminated
              34 00 02 00                             # IFLA_INFO_DATA, 52 bytes
                30 00 01 00                           # VETH_INFO_PEER, 48 bytes
                  00 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00   # peer ifinfomsg, up
                  09 00 03 00  65 74 68 30 00  00 00 00   # IFLA_IFNAME "eth0"
                  08 00 04 00  78 05 00 00                # IFLA_MTU 1400
                  08 00 1c 00  07 00 00 00                # IFLA_NET_NS_FD 7
            """))
    }

    @Test func bridge() throws {
        expectBytes(try sentBytes(.addLink(LinkMessage(name: "br0", info: .bridge))), hexBytes("""
            38 00 00 00  10 00  05 06  01 00 00 00  00 00 00 00   # 56 bytes, RTM_NEWLINK, create
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00   # ifinfomsg
            08 00 03 00  62 72 30 00                             # IFLA_IFNAME "br0"
            10 00 12 00                                          # IFLA_LINKINFO
              0a 00 01 00  62 72 69 64 67 65  00 00              # IFLA_INFO_KIND "bridge", unterminated
            """))
    }

    @Test func vxlanWithPortInNetworkOrder() throws {
        let info = VXLANInfo(id: 42, local: .v4(IPv4Address(10, 0, 0, 1)), port: 4789, underlyingIndex: 7,
                             learning: false, ttl: 64)
        expectBytes(try sentBytes(.addLink(LinkMessage(name: "vx0", info: .vxlan(info)))), hexBytes("""
            6c 00 00 00  10 00  05 06  01 00 00 00  00 00 00 00   # 108 bytes
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            08 00 03 00  76 78 30 00                  # IFLA_IFNAME "vx0"
            44 00 12 00                               # IFLA_LINKINFO, 68 bytes
              09 00 01 00  76 78 6c 61 6e  00 00 00   # IFLA_INFO_KIND "vxlan"
              34 00 02 00                             # IFLA_INFO_DATA, 52 bytes
                08 00 01 00  2a 00 00 00              # IFLA_VXLAN_ID 42
                08 00 04 00  0a 00 00 01              # IFLA_VXLAN_LOCAL 10.0.0.1
                08 00 03 00  07 00 00 00              # IFLA_VXLAN_LINK 7
                05 00 05 00  40  00 00 00             # IFLA_VXLAN_TTL 64
                05 00 07 00  00  00 00 00             # IFLA_VXLAN_LEARNING off
                06 00 0f 00  12 b5  00 00             # IFLA_VXLAN_PORT 4789, big-endian
            """))
    }

    @Test func vxlanWithAnIPv6LocalSendsLocal6() throws {
        let info = VXLANInfo(id: 1, local: .v6(IPv6Address("fd00:64::4")!), port: 4789)
        expectBytes(try sentBytes(.addLink(LinkMessage(name: "vx0", info: .vxlan(info)))), hexBytes("""
            60 00 00 00  10 00  05 06  01 00 00 00  00 00 00 00   # 96 bytes
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            08 00 03 00  76 78 30 00                  # IFLA_IFNAME "vx0"
            38 00 12 00                               # IFLA_LINKINFO, 56 bytes
              09 00 01 00  76 78 6c 61 6e  00 00 00   # IFLA_INFO_KIND "vxlan"
              28 00 02 00                             # IFLA_INFO_DATA, 40 bytes
                08 00 01 00  01 00 00 00              # IFLA_VXLAN_ID 1
                14 00 11 00  fd 00 00 64  00 00 00 00  00 00 00 00  00 00 00 04   # IFLA_VXLAN_LOCAL6 fd00:64::4
                06 00 0f 00  12 b5  00 00             # IFLA_VXLAN_PORT 4789, big-endian
            """))
    }

    @Test func ipip() throws {
        let info = IPIPInfo(local: IPv4Address(192, 0, 2, 1), remote: IPv4Address(192, 0, 2, 2),
                            underlyingIndex: 3, ttl: 64)
        expectBytes(try sentBytes(.addLink(LinkMessage(name: "tun0", info: .ipip(info)))), hexBytes("""
            5c 00 00 00  10 00  05 06  01 00 00 00  00 00 00 00   # 92 bytes
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            09 00 03 00  74 75 6e 30 00  00 00 00     # IFLA_IFNAME "tun0"
            30 00 12 00                               # IFLA_LINKINFO, 48 bytes
              08 00 01 00  69 70 69 70                # IFLA_INFO_KIND "ipip"
              24 00 02 00                             # IFLA_INFO_DATA, 36 bytes
                08 00 01 00  03 00 00 00              # IFLA_IPTUN_LINK 3
                08 00 02 00  c0 00 02 01              # IFLA_IPTUN_LOCAL 192.0.2.1
                08 00 03 00  c0 00 02 02              # IFLA_IPTUN_REMOTE 192.0.2.2
                05 00 04 00  40  00 00 00             # IFLA_IPTUN_TTL 64
            """))
    }

    @Test func dummy() throws {
        expectBytes(try sentBytes(.addLink(LinkMessage(name: "dummy0", info: .dummy))), hexBytes("""
            3c 00 00 00  10 00  05 06  01 00 00 00  00 00 00 00   # 60 bytes
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            0b 00 03 00  64 75 6d 6d 79 30 00  00     # IFLA_IFNAME "dummy0"
            10 00 12 00                               # IFLA_LINKINFO
              09 00 01 00  64 75 6d 6d 79  00 00 00   # IFLA_INFO_KIND "dummy"
            """))
    }

    @Test func createInAnotherNamespaceWithMACAndMaster() throws {
        var link = LinkMessage(name: "p", info: .veth(peer: nil))
        link.address = MACAddress("02:42:ac:11:00:02")
        link.master = 5
        link.namespaceFD = 9
        expectBytes(try sentBytes(.addLink(link, mode: .replace)), hexBytes("""
            50 00 00 00  10 00  05 05  01 00 00 00  00 00 00 00   # 80 bytes, CREATE|REPLACE (0x500)
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            06 00 03 00  70 00  00 00                 # IFLA_IFNAME "p"
            0a 00 01 00  02 42 ac 11 00 02  00 00     # IFLA_ADDRESS
            08 00 0a 00  05 00 00 00                  # IFLA_MASTER 5
            08 00 1c 00  09 00 00 00                  # IFLA_NET_NS_FD 9
            0c 00 12 00                               # IFLA_LINKINFO: kind only, no peer data
              08 00 01 00  76 65 74 68                # IFLA_INFO_KIND "veth"
            """))
    }

    @Test func setMTUMasterAliasAndUp() throws {
        var change = LinkMessage(index: 7)
        change.mtu = 1450
        change.master = 3
        change.alias = "podnet x"
        change.setUp(true)
        expectBytes(try sentBytes(.setLink(change)), hexBytes("""
            3c 00 00 00  13 00  05 00  01 00 00 00  00 00 00 00   # 60 bytes, RTM_SETLINK
            00 00 00 00  07 00 00 00  01 00 00 00  01 00 00 00   # index 7, IFF_UP in flags and change
            08 00 04 00  aa 05 00 00                  # IFLA_MTU 1450
            08 00 0a 00  03 00 00 00                  # IFLA_MASTER 3
            0c 00 14 00  70 6f 64 6e 65 74 20 78      # IFLA_IFALIAS "podnet x", unterminated
            """))
    }

    @Test func setDownAndNoMaster() throws {
        var change = LinkMessage(index: 7)
        change.master = 0
        change.setUp(false)
        expectBytes(try sentBytes(.setLink(change)), hexBytes("""
            28 00 00 00  13 00  05 00  01 00 00 00  00 00 00 00
            00 00 00 00  07 00 00 00  00 00 00 00  01 00 00 00   # flags 0, change IFF_UP: down
            08 00 0a 00  00 00 00 00                  # IFLA_MASTER 0: nomaster
            """))
    }

    @Test func deleteByIndexAndByName() throws {
        expectBytes(try sentBytes(.deleteLink(index: 7)), hexBytes("""
            20 00 00 00  11 00  05 00  01 00 00 00  00 00 00 00   # RTM_DELLINK
            00 00 00 00  07 00 00 00  00 00 00 00  00 00 00 00
            """))
        expectBytes(try sentBytes(.deleteLink(name: "veth0")), hexBytes("""
            2c 00 00 00  11 00  05 00  01 00 00 00  00 00 00 00
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            0a 00 03 00  76 65 74 68 30 00  00 00     # IFLA_IFNAME "veth0"
            """))
    }

    @Test func dumpAndGet() throws {
        expectBytes(try sentBytes(.dumpLinks(), dump: true), hexBytes("""
            28 00 00 00  12 00  01 03  01 00 00 00  00 00 00 00   # RTM_GETLINK, REQUEST|DUMP (0x301)
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            08 00 1d 00  08 00 00 00                  # IFLA_EXT_MASK RTEXT_FILTER_SKIP_STATS
            """))
        expectBytes(try sentBytes(.getLink(name: "eth0")), hexBytes("""
            34 00 00 00  12 00  05 00  01 00 00 00  00 00 00 00   # RTM_GETLINK, REQUEST|ACK
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            08 00 1d 00  08 00 00 00                  # IFLA_EXT_MASK RTEXT_FILTER_SKIP_STATS
            09 00 03 00  65 74 68 30 00  00 00 00     # IFLA_IFNAME "eth0"
            """))
    }

    @Test func getByLongAlternativeName() throws {
        expectBytes(try sentBytes(.getLink(name: "a-name-of-16-ch")), hexBytes("""
            3c 00 00 00  12 00  05 00  01 00 00 00  00 00 00 00   # 60 bytes
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            08 00 1d 00  08 00 00 00
            14 00 03 00  61 2d 6e 61 6d 65 2d 6f 66 2d 31 36 2d 63 68 00   # 15 bytes: IFLA_IFNAME
            """))
        expectBytes(try sentBytes(.getLink(name: "a-name-of-16-chr")), hexBytes("""
            40 00 00 00  12 00  05 00  01 00 00 00  00 00 00 00   # 64 bytes
            00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            08 00 1d 00  08 00 00 00
            15 00 35 00  61 2d 6e 61 6d 65 2d 6f 66 2d 31 36 2d 63 68 72 00  00 00 00   # 16: IFLA_ALT_IFNAME
            """))
    }

    @Test func echoedRequestAsksForTheCreatedObject() throws {
        let bytes = try sentBytes(.addLink(LinkMessage(name: "br0", info: .bridge)).echoed)
        expectBytes(Array(bytes[6..<8]), hexBytes("0d 06   # REQUEST|ACK|ECHO (0x00d) | CREATE|EXCL (0x600)"))
    }

    @Test func alternativeNames() throws {
        expectBytes(try sentBytes(.addAlternativeName("longername", toLink: 7)), hexBytes("""
            34 00 00 00  6c 00  05 06  01 00 00 00  00 00 00 00   # RTM_NEWLINKPROP (108), create
            00 00 00 00  07 00 00 00  00 00 00 00  00 00 00 00   # index 7
            14 00 34 80                               # IFLA_PROP_LIST | NLA_F_NESTED
              0f 00 35 00  6c 6f 6e 67 65 72 6e 61 6d 65 00  00   # IFLA_ALT_IFNAME "longername"
            """))
        expectBytes(try sentBytes(.deleteAlternativeName("longername", fromLink: 7)), hexBytes("""
            34 00 00 00  6d 00  05 00  01 00 00 00  00 00 00 00   # RTM_DELLINKPROP (109)
            00 00 00 00  07 00 00 00  00 00 00 00  00 00 00 00
            14 00 34 80
              0f 00 35 00  6c 6f 6e 67 65 72 6e 61 6d 65 00  00
            """))
    }

    @Test func bridgePortHairpin() throws {
        expectBytes(try sentBytes(.setBridgePortHairpin(linkIndex: 7, enabled: true)), hexBytes("""
            2c 00 00 00  13 00  05 00  01 00 00 00  00 00 00 00   # RTM_SETLINK
            07 00 00 00  07 00 00 00  00 00 00 00  00 00 00 00   # AF_BRIDGE (7), index 7
            0c 00 0c 80                               # IFLA_PROTINFO | NLA_F_NESTED
              05 00 04 00  01  00 00 00               # IFLA_BRPORT_MODE 1: hairpin on
            """))
    }
}
