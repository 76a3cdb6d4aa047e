import CMNL
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Decoding of real kernel replies (see `CapturedReply`).
@Suite struct CapturedReplyTests {
    private func message(_ bytes: [UInt8]) throws -> NetlinkMessage {
        let messages = try NetlinkMessageIterator.messages(in: bytes[...])
        try #require(messages.count == 1)
        return messages[0]
    }

    @Test func bridgePortVeth() throws {
        let link = try LinkMessage(decoding: message(CapturedReply.bridgePortLink))
        #expect(link.index == 4)
        #expect(link.deviceType == 1)  // ARPHRD_ETHER
        #expect(link.name == "v0")
        #expect(link.flags == [.up, .broadcast, .multicast])
        #expect(link.isUp)
        #expect(link.mtu == 1450)
        #expect(link.master == 2)
        #expect(link.alias == "podnet:demo:pod")
        #expect(link.alternativeNames == ["pod-port-alternative"])
        #expect(link.address == MACAddress("02:00:00:00:00:10"))
        #expect(link.operState == .lowerLayerDown)
        #expect(link.link == 3)
        #expect(link.linkNetnsID == nil)
        #expect(link.info == .veth(peer: nil))
        #expect(link.port == .bridge(BridgePortInfo(hairpin: true, state: 0, learning: true)))
    }

    @Test func vxlan() throws {
        let link = try LinkMessage(decoding: message(CapturedReply.vxlanLink))
        #expect(link.index == 5)
        #expect(link.name == "vx0")
        #expect(!link.isUp)
        #expect(link.mtu == 1400)
        #expect(link.address == MACAddress("02:00:00:00:00:42"))
        #expect(link.info == .vxlan(VXLANInfo(id: 42, local: .v4(IPv4Address(10, 0, 0, 1)), port: 4789,
                                              underlyingIndex: 4, learning: false, ttl: 64)))
        #expect(link.port == nil)
    }

    @Test func address() throws {
        let address = try AddressMessage(decoding: message(CapturedReply.address))
        #expect(address.index == 4)
        #expect(address.prefix == IPPrefix("10.0.0.1/24"))
        #expect(address.local == IPAddress.v4(IPv4Address(10, 0, 0, 1)))
        #expect(address.address == IPAddress.v4(IPv4Address(10, 0, 0, 1)))
        #expect(address.label == "v0")
        #expect(address.flags == 0x80)  // IFA_F_PERMANENT: configured, not learned
        #expect(address.scope == .universe)
    }

    @Test func routeInALargeTable() throws {
        let route = try RouteMessage(decoding: message(CapturedReply.route))
        // rtm_table says RT_TABLE_COMPAT (252); RTA_TABLE has the real id.
        #expect(route.table == RouteTable(rawValue: 1000))
        #expect(route.destinationPrefix == IPPrefix("10.244.1.0/24"))
        #expect(route.gateway == IPAddress.v4(IPv4Address(10, 0, 0, 2)))
        #expect(route.outputInterface == 4)
        #expect(route.protocol == RouteProtocol(rawValue: 250))
        #expect(route.scope == .universe)
        #expect(route.type == .unicast)
        #expect(route.flags == [.onlink, .linkDown])
        #expect(route.priority == nil)
    }

    @Test func neighbour() throws {
        let entry = try NeighbourMessage(decoding: message(CapturedReply.neighbour))
        #expect(!entry.isForwardingEntry)
        #expect(entry.index == 5)
        #expect(entry.state == .permanent)
        #expect(entry.type == 1)  // RTN_UNICAST
        #expect(entry.destination == IPAddress.v4(IPv4Address(10, 244, 1, 0)))
        #expect(entry.linkAddress == MACAddress("02:00:00:00:01:01"))
    }

    @Test func forwardingEntry() throws {
        let entry = try NeighbourMessage(decoding: message(CapturedReply.forwardingEntry))
        #expect(entry.isForwardingEntry)
        #expect(entry.index == 5)
        #expect(entry.flags == .self)
        #expect(entry.state == .permanent)
        #expect(entry.destination == IPAddress.v4(IPv4Address(10, 0, 0, 2)))
        #expect(entry.linkAddress == MACAddress("02:00:00:00:01:01"))
        #expect(entry.master == nil)
    }

    @Test func capturedDumpThroughAConnection() throws {
        // Both links in one datagram under the capture's sequence number and port, as
        // the kernel sent them, then NLMSG_DONE.
        let port: UInt32 = 0x1e45
        let socket = FakeNetlinkSocket(portID: port, replies: [
            CapturedReply.bridgePortLink + CapturedReply.vxlanLink,
            FakeKernelReply.done(sequence: 0x0e, portID: port),
        ])
        let links = try NetlinkConnection(socket: socket, firstSequence: 0x0e).links()
        #expect(links.compactMap(\.name) == ["v0", "vx0"])
    }

    @Test func everyTruncationOfACapturedLinkIsAnErrorNotACrash() throws {
        let bytes = CapturedReply.bridgePortLink
        for length in 0..<bytes.count {
            var cut = Array(bytes[0..<length])
            // Keep nlmsg_len consistent with the cut, so that the attributes, not the
            // header, are what is truncated.
            if length >= 4 {
                withUnsafeBytes(of: UInt32(length)) { for i in 0..<4 { cut[i] = $0[i] } }
            }
            do {
                for message in try NetlinkMessageIterator.messages(in: cut[...]) {
                    _ = try LinkMessage(decoding: message)
                }
            } catch {
                // Expected for most cuts: any NetlinkParseError will do.
            }
        }
    }
}
