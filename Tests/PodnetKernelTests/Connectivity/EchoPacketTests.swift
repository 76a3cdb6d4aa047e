import Glibc
import PodnetAddress
@testable import PodnetKernel
import Testing

/// The echo codec without a kernel: the checksum, and parsing of packets as a raw
/// ICMP socket receives them (IPv4 header first).
@Suite struct EchoPacketTests {
    @Test func checksumIsRFC1071s() {
        // RFC 1071 §3's example: the words sum to 0xddf2, whose complement is 0x220d.
        #expect(EchoPacket.checksum([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]) == 0x220d)
        // An odd length is padded with a zero byte.
        #expect(EchoPacket.checksum([0x01]) == ~UInt16(0x0100))
    }

    @Test func requestCarriesIdentifierIndexAndCookieAndChecksumsToZero() {
        let request = EchoPacket.request(identifier: 0xbeef, cookie: 0x0102_0304_0506_0708, index: 0x0001_0002)
        #expect(request.count == 20)
        #expect(Array(request[0..<2]) == [8, 0])
        #expect(Array(request[4..<8]) == [0xbe, 0xef, 0x00, 0x02])
        #expect(Array(request[8..<20]) == [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2])
        // A message with its checksum in place sums to 0xffff, whose complement is 0.
        #expect(EchoPacket.checksum(request) == 0)
    }

    static func ipv4(source: IPv4Address, destination: IPv4Address, payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [0x45, 0, 0, UInt8(20 + payload.count), 0, 0, 0, 0, 64, 1, 0, 0]
        header += source.bytes + destination.bytes
        return header + payload
    }

    @Test func parsesAReplyToOurRequest() {
        var reply = EchoPacket.request(identifier: 7, cookie: 42, index: 3)
        reply[0] = EchoPacket.echoReply
        let packet = Self.ipv4(source: IPv4Address("10.0.0.2")!, destination: IPv4Address("10.0.0.1")!, payload: reply)
        let parsed = packet.withUnsafeBytes { EchoPacket.parse($0) }
        #expect(parsed == .reply(source: .v4(IPv4Address("10.0.0.2")!), identifier: 7, cookie: 42, index: 3))
    }

    @Test func parsesAnUnreachableErrorQuotingOurRequest() {
        let request = EchoPacket.request(identifier: 7, cookie: 42, index: 3)
        let quoted = Self.ipv4(source: IPv4Address("10.0.0.1")!, destination: IPv4Address("10.0.9.9")!, payload: request)
        let error: [UInt8] = [EchoPacket.destinationUnreachable, 1, 0, 0, 0, 0, 0, 0] + quoted
        let packet = Self.ipv4(source: IPv4Address("10.0.0.254")!, destination: IPv4Address("10.0.0.1")!, payload: error)
        let parsed = packet.withUnsafeBytes { EchoPacket.parse($0) }
        #expect(parsed == .error(reporter: .v4(IPv4Address("10.0.0.254")!), type: 3, code: 1,
                                 destination: .v4(IPv4Address("10.0.9.9")!), identifier: 7))
        #expect(EchoPacket.describe(type: 3, code: 1) == "host unreachable")
        #expect(EchoRefusal.icmp(type: 3, code: 0, reporter: .v4(IPv4Address("10.0.0.254")!)).description == "ICMP net unreachable from 10.0.0.254")
        #expect(EchoRefusal.local(Errno(rawValue: ENETUNREACH)).description == "no route (Network is unreachable)")
        #expect(EchoRefusal.local(.noBufferSpace).description.contains("net.ipv4.neigh.default.gc_thresh3"))
    }

    @Test func ignoresRequestsOtherTypesAndTruncatedPackets() {
        let request = EchoPacket.request(identifier: 7, cookie: 42, index: 3)
        let packet = Self.ipv4(source: IPv4Address("10.0.0.1")!, destination: IPv4Address("10.0.0.2")!, payload: request)
        #expect(packet.withUnsafeBytes { EchoPacket.parse($0) } == nil)
        #expect(Array(packet.prefix(30)).withUnsafeBytes { EchoPacket.parse($0) } == nil)
        #expect([UInt8]().withUnsafeBytes { EchoPacket.parse($0) } == nil)
    }

    // ICMPv6 (RFC 4443): the raw socket gives the message alone, the sender apart.

    @Test func anIPv6RequestHasICMPv6sTypeAndLeavesTheChecksumToTheKernel() {
        let request = EchoPacket.request(family: .ipv6, identifier: 0xbeef, cookie: 0x0102_0304_0506_0708, index: 0x0001_0002)
        #expect(request.count == 20)
        #expect(Array(request[0..<4]) == [128, 0, 0, 0])
        #expect(Array(request[4..<20]) == Array(EchoPacket.request(identifier: 0xbeef, cookie: 0x0102_0304_0506_0708, index: 0x0001_0002)[4..<20]))
    }

    static let v6Source = IPv6Address("fd00:77::1")!

    /// A fixed IPv6 header (next header ICMPv6, hop limit 64) and the payload.
    static func ipv6(source: IPv6Address, destination: IPv6Address, payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0, 0, UInt8(payload.count), 58, 64] + source.bytes + destination.bytes + payload
    }

    @Test func parsesAnICMPv6ReplyFromItsSender() {
        var reply = EchoPacket.request(family: .ipv6, identifier: 7, cookie: 42, index: 3)
        reply[0] = EchoPacket.V6.echoReply
        let sender = IPv6Address("fd00:77::2")!
        #expect(reply.withUnsafeBytes { EchoPacket.parseV6($0, from: sender) } == .reply(source: .v6(sender), identifier: 7, cookie: 42, index: 3))
        // An ICMPv4 reply's type (0) means nothing in ICMPv6; our own request neither.
        reply[0] = EchoPacket.echoReply
        #expect(reply.withUnsafeBytes { EchoPacket.parseV6($0, from: sender) } == nil)
        let request = EchoPacket.request(family: .ipv6, identifier: 7, cookie: 42, index: 3)
        #expect(request.withUnsafeBytes { EchoPacket.parseV6($0, from: sender) } == nil)
        #expect(Array(request.prefix(12)).withUnsafeBytes { EchoPacket.parseV6($0, from: sender) } == nil)
    }

    @Test func parsesAnICMPv6UnreachableErrorQuotingOurRequest() {
        let request = EchoPacket.request(family: .ipv6, identifier: 7, cookie: 42, index: 3)
        let unrouted = IPv6Address("fd00:99::9")!, router = IPv6Address("fd00:77::fe")!
        let quoted = Self.ipv6(source: Self.v6Source, destination: unrouted, payload: request)
        let error: [UInt8] = [EchoPacket.V6.destinationUnreachable, 3, 0, 0, 0, 0, 0, 0] + quoted
        #expect(error.withUnsafeBytes { EchoPacket.parseV6($0, from: router) }
            == .error(reporter: .v6(router), type: 1, code: 3, destination: .v6(unrouted), identifier: 7))
        #expect(EchoRefusal.icmp(type: 1, code: 3, reporter: .v6(router)).description == "ICMPv6 address unreachable from fd00:77::fe")
        #expect(EchoRefusal.icmp(type: 3, code: 0, reporter: .v6(router)).description == "ICMPv6 hop limit exceeded from fd00:77::fe")
        // Quoting something else (a TCP segment: next header 6) is not about us.
        var tcp = error
        tcp[8 + 6] = 6
        #expect(tcp.withUnsafeBytes { EchoPacket.parseV6($0, from: router) } == nil)
        #expect(Array(error.prefix(50)).withUnsafeBytes { EchoPacket.parseV6($0, from: router) } == nil)
    }
}
