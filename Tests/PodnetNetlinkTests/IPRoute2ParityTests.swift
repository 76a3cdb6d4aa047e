import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Payloads (everything after nlmsghdr) captured from iproute2 6.1 with
/// `strace -e trace=sendmsg -xx ip -n NS ...` in a throwaway namespace, compared with
/// what podnet builds for the same command. Agreement with iproute2 is not the goal in
/// itself; it is independent evidence that the layouts are right.
@Suite struct IPRoute2ParityTests {
    /// The payload of the request as the connection frames it.
    private func payload(_ request: NetlinkRequest) throws -> [UInt8] {
        Array(try sentBytes(request).dropFirst(16))
    }

    @Test func ipLinkAddTypeBridge() throws {
        // ip link add br0 type bridge
        expectBytes(try payload(.addLink(LinkMessage(name: "br0", info: .bridge))), hexBytes("""
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            08 00 03 00 62 72 30 00 10 00 12 00 0a 00 01 00
            62 72 69 64 67 65 00 00
            """))
    }

    @Test func ipLinkSetMTUMasterAliasUp() throws {
        // ip link set dev eth0x mtu 1450 master br0 alias "podnet x" up (iproute2 says
        // RTM_NEWLINK where podnet says RTM_SETLINK; the payload is the same)
        var change = LinkMessage(index: 7)
        change.mtu = 1450
        change.master = 3
        change.alias = "podnet x"
        change.setUp(true)
        expectBytes(try payload(.setLink(change)), hexBytes("""
            00 00 00 00 07 00 00 00 01 00 00 00 01 00 00 00
            08 00 04 00 aa 05 00 00 08 00 0a 00 03 00 00 00
            0c 00 14 00 70 6f 64 6e 65 74 20 78
            """))
    }

    @Test func bridgeLinkSetHairpinOn() throws {
        // bridge link set dev eth0x hairpin on
        expectBytes(try payload(.setBridgePortHairpin(linkIndex: 7, enabled: true)), hexBytes("""
            07 00 00 00 07 00 00 00 00 00 00 00 00 00 00 00
            0c 00 0c 80 05 00 04 00 01 00 00 00
            """))
    }

    @Test func ipLinkPropertyAddAltname() throws {
        // ip link property add dev eth0x altname longername
        expectBytes(try payload(.addAlternativeName("longername", toLink: 7)), hexBytes("""
            00 00 00 00 07 00 00 00 00 00 00 00 00 00 00 00
            14 00 34 80 0f 00 35 00 6c 6f 6e 67 65 72 6e 61
            6d 65 00 00
            """))
    }

    @Test func ipAddrAdd() throws {
        // ip addr add 10.244.0.1/24 dev br0
        expectBytes(try payload(.addAddress(AddressMessage(index: 3, prefix: IPPrefix("10.244.0.1/24")!))), hexBytes("""
            02 18 00 00 03 00 00 00 08 00 02 00 0a f4 00 01
            08 00 01 00 0a f4 00 01
            """))
    }

    @Test func ipRouteAddOnlinkTableProto() throws {
        // ip route add 10.244.1.0/24 via 10.0.0.2 dev eth0x onlink table 1000 proto 250
        let route = RouteMessage(destination: IPPrefix("10.244.1.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 2)),
                                 outputInterface: 7, table: RouteTable(rawValue: 1000),
                                 protocol: RouteProtocol(rawValue: 250), flags: .onlink)
        expectBytes(try payload(.addRoute(route)), hexBytes("""
            02 18 00 00 00 fa 00 01 04 00 00 00 08 00 01 00
            0a f4 01 00 08 00 05 00 0a 00 00 02 08 00 0f 00
            e8 03 00 00 08 00 04 00 07 00 00 00
            """))
    }

    @Test func ipRouteAddOnlinkMainTable() throws {
        // ip route add 10.244.2.0/24 via 10.0.0.3 dev eth0x onlink
        let route = RouteMessage(destination: IPPrefix("10.244.2.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 3)),
                                 outputInterface: 7, flags: .onlink)
        expectBytes(try payload(.addRoute(route)), hexBytes("""
            02 18 00 00 fe 03 00 01 04 00 00 00 08 00 01 00
            0a f4 02 00 08 00 05 00 0a 00 00 03 08 00 04 00
            07 00 00 00
            """))
    }

    @Test func ipRouteDel() throws {
        // ip route del 10.244.2.0/24 via 10.0.0.3 dev eth0x (protocol and type: any)
        var route = RouteMessage(destination: IPPrefix("10.244.2.0/24")!, gateway: IPAddress.v4(IPv4Address(10, 0, 0, 3)),
                                 outputInterface: 7)
        route.protocol = .unspecified
        route.type = .unspecified
        expectBytes(try payload(.deleteRoute(route)), hexBytes("""
            02 18 00 00 fe 00 ff 00 00 00 00 00 08 00 01 00
            0a f4 02 00 08 00 05 00 0a 00 00 03 08 00 04 00
            07 00 00 00
            """))
    }

    @Test func ipNeighReplacePermanent() throws {
        // ip neigh replace 10.244.1.0 lladdr 02:00:00:00:00:01 dev vx0 nud permanent
        let entry = NeighbourMessage.permanent(IPAddress.v4(IPv4Address(10, 244, 1, 0)), at: MACAddress("02:00:00:00:00:01")!, onLink: 8)
        expectBytes(try payload(.addNeighbour(entry, mode: .replace)), hexBytes("""
            02 00 00 00 08 00 00 00 80 00 00 00 08 00 01 00
            0a f4 01 00 0a 00 02 00 02 00 00 00 00 01 00 00
            """))
    }

    @Test func bridgeFDBAppendSelfPermanent() throws {
        // bridge fdb append 02:00:00:00:00:01 dev vx0 dst 10.0.0.2 self permanent
        // (bridge adds NUD_NOARP to the state; podnet sends NUD_PERMANENT alone)
        var entry = NeighbourMessage.forwardingEntry(MACAddress("02:00:00:00:00:01")!, remote: IPAddress.v4(IPv4Address(10, 0, 0, 2)), onLink: 8)
        entry.state.insert(.noARP)
        expectBytes(try payload(.addNeighbour(entry, mode: .append)), hexBytes("""
            07 00 00 00 08 00 00 00 c0 00 02 00 0a 00 02 00
            02 00 00 00 00 01 00 00 08 00 01 00 0a 00 00 02
            """))
    }
}
