import PodnetAddress

/// ICMP echo messages (RFC 792) and ICMPv6 ones (RFC 4443) as the echo sweep
/// writes and reads them: the same layout (type, code, checksum, identifier,
/// sequence, data) with other type numbers. A raw ICMP socket sends the message as
/// written (checksum included) and receives whole IPv4 packets: the header, then
/// the ICMP message. A raw ICMPv6 socket sends the message with the checksum the
/// kernel computes, and receives the message alone, its sender from recvfrom.
///
/// A request carries a probe's identifier, the destination's index as sequence
/// number, and a payload of an 8-byte cookie (so that a stray echo reply with the
/// same identifier is not taken for ours) and the full 32-bit destination index.
enum EchoPacket {
    static let echoReply: UInt8 = 0
    static let destinationUnreachable: UInt8 = 3
    static let echoRequest: UInt8 = 8
    static let timeExceeded: UInt8 = 11

    /// ICMPv6's numbers for the same messages (RFC 4443 §3.1, §3.3, §4.1, §4.2).
    enum V6 {
        static let destinationUnreachable: UInt8 = 1
        static let timeExceeded: UInt8 = 3
        static let echoRequest: UInt8 = 128
        static let echoReply: UInt8 = 129
    }

    static func request(family: AddressFamily = .ipv4, identifier: UInt16, cookie: UInt64, index: UInt32) -> [UInt8] {
        var message: [UInt8] = [family == .ipv4 ? echoRequest : V6.echoRequest, 0, 0, 0]
        message += bigEndianBytes(identifier)
        message += bigEndianBytes(UInt16(truncatingIfNeeded: index))
        message += bigEndianBytes(cookie)
        message += bigEndianBytes(index)
        // ICMPv6's checksum covers the addresses (a pseudo-header); the kernel fills it.
        guard family == .ipv4 else { return message }
        let sum = checksum(message)
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xff)
        return message
    }

    /// The Internet checksum (RFC 1071): the ones' complement of the ones'
    /// complement sum of the 16-bit big-endian words, an odd last byte padded.
    static func checksum(_ bytes: some Collection<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var high = true
        for byte in bytes {
            sum += high ? UInt32(byte) << 8 : UInt32(byte)
            high.toggle()
        }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// What a raw ICMP or ICMPv6 socket received, when it concerns an echo request.
    enum Received: Equatable {
        /// An echo reply from `source`.
        case reply(source: IPAddress, identifier: UInt16, cookie: UInt64, index: UInt32)
        /// An ICMP error (destination unreachable, time exceeded) sent by `reporter`
        /// about an echo request of ours to `destination`; the type and code are the
        /// reporter's family's.
        case error(reporter: IPAddress, type: UInt8, code: UInt8, destination: IPAddress, identifier: UInt16)
    }

    /// Parses an IPv4 packet as a raw ICMP socket delivers it; nil for anything
    /// else (other ICMP types, truncated or foreign packets).
    static func parse(_ packet: UnsafeRawBufferPointer) -> Received? {
        guard let header = ipv4HeaderLength(packet), packet.count >= header + 8 else { return nil }
        let source = IPAddress.v4(address(packet, at: 12))
        let type = packet[header], code = packet[header + 1]
        switch type {
        case echoReply:
            return reply(from: source, UnsafeRawBufferPointer(rebasing: packet[header...]))
        case destinationUnreachable, timeExceeded:
            // The error quotes the offending packet: its IPv4 header and at least
            // the first 8 bytes of its ICMP message (type, code, checksum, id, seq).
            let quoted = header + 8
            let rest = UnsafeRawBufferPointer(rebasing: packet[quoted...])
            guard let inner = ipv4HeaderLength(rest), rest.count >= inner + 8,
                  rest[9] == 1, rest[inner] == echoRequest else { return nil }
            return .error(reporter: source, type: type, code: code, destination: .v4(address(rest, at: 16)),
                          identifier: word(rest, at: inner + 4))
        default:
            return nil
        }
    }

    /// Parses an ICMPv6 message as a raw ICMPv6 socket delivers it (no IPv6 header),
    /// from `sender`; nil for anything else.
    static func parseV6(_ message: UnsafeRawBufferPointer, from sender: IPv6Address) -> Received? {
        guard message.count >= 8 else { return nil }
        let type = message[0], code = message[1]
        switch type {
        case V6.echoReply:
            return reply(from: .v6(sender), message)
        case V6.destinationUnreachable, V6.timeExceeded:
            // The error quotes as much of the offending packet as fits (RFC 4443
            // §2.4): its fixed IPv6 header, then our echo request's first 8 bytes.
            // The sweep's requests carry no extension headers: next header ICMPv6.
            let quoted = 8, inner = quoted + 40
            guard message.count >= inner + 8, message[quoted] >> 4 == 6, message[quoted + 6] == 58,
                  message[inner] == V6.echoRequest,
                  let destination = IPv6Address(bytes: UnsafeRawBufferPointer(rebasing: message[(quoted + 24)..<(quoted + 40)]))
            else { return nil }
            return .error(reporter: .v6(sender), type: type, code: code, destination: .v6(destination),
                          identifier: word(message, at: inner + 4))
        default:
            return nil
        }
    }

    /// An echo reply's message (either family: the same layout after the type).
    private static func reply(from source: IPAddress, _ message: UnsafeRawBufferPointer) -> Received? {
        guard message.count >= 20 else { return nil }
        return .reply(source: source, identifier: word(message, at: 4),
                      cookie: UInt64(word32(message, at: 8)) << 32 | UInt64(word32(message, at: 12)),
                      index: word32(message, at: 16))
    }

    /// "net unreachable", "host unreachable", … in iputils ping's words.
    static func describe(family: AddressFamily = .ipv4, type: UInt8, code: UInt8) -> String {
        if family == .ipv6 { return describeV6(type: type, code: code) }
        if type == timeExceeded { return code == 0 ? "time to live exceeded" : "fragment reassembly time exceeded" }
        switch code {
        case 0: return "net unreachable"
        case 1: return "host unreachable"
        case 2: return "protocol unreachable"
        case 3: return "port unreachable"
        case 4: return "fragmentation needed"
        case 9, 10, 13: return "administratively prohibited"
        default: return "destination unreachable (code \(code))"
        }
    }

    /// ICMPv6's (RFC 4443 §3.1, §3.3), in iputils ping's words.
    private static func describeV6(type: UInt8, code: UInt8) -> String {
        if type == V6.timeExceeded { return code == 0 ? "hop limit exceeded" : "fragment reassembly time exceeded" }
        switch code {
        case 0: return "no route"
        case 1: return "administratively prohibited"
        case 2: return "beyond scope of source address"
        case 3: return "address unreachable"
        case 4: return "port unreachable"
        case 5: return "source address failed ingress/egress policy"
        case 6: return "reject route to destination"
        default: return "destination unreachable (code \(code))"
        }
    }

    private static func ipv4HeaderLength(_ packet: UnsafeRawBufferPointer) -> Int? {
        guard packet.count >= 20, packet[0] >> 4 == 4 else { return nil }
        let length = Int(packet[0] & 0x0f) * 4
        return length >= 20 && packet.count >= length ? length : nil
    }

    private static func address(_ packet: UnsafeRawBufferPointer, at offset: Int) -> IPv4Address {
        IPv4Address(word32(packet, at: offset))
    }

    private static func word(_ packet: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(packet[offset]) << 8 | UInt16(packet[offset + 1])
    }

    private static func word32(_ packet: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(word(packet, at: offset)) << 16 | UInt32(word(packet, at: offset + 2))
    }

    private static func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
