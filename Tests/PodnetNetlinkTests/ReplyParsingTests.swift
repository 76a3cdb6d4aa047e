import PodnetAddress
import Testing
@testable import PodnetNetlink

/// The parsers' length checks.
@Suite struct ReplyParsingTests {
    @Test func attributeHeaderCutShort() {
        #expect(throws: NetlinkParseError.truncated(what: "attribute header", needed: 4, available: 2)) {
            try NetlinkAttributes(parsing: hexBytes("08 00")[...])
        }
    }

    @Test func attributeLengthBelowHeaderSize() {
        #expect(throws: NetlinkParseError.invalidLength(what: "attribute 3", length: 2)) {
            try NetlinkAttributes(parsing: hexBytes("02 00 03 00")[...])
        }
    }

    @Test func attributeLongerThanItsContainer() {
        #expect(throws: NetlinkParseError.truncated(what: "attribute 3", needed: 12, available: 8)) {
            try NetlinkAttributes(parsing: hexBytes("0c 00 03 00 76 30 00 00")[...])
        }
    }

    @Test func missingFinalPaddingIsAccepted() throws {
        let attributes = try NetlinkAttributes(parsing: hexBytes("07 00 03 00 76 30 00")[...])
        #expect(attributes[3]?.string() == "v0")
    }

    @Test func flagBitsAreStrippedFromTheType() throws {
        let attributes = try NetlinkAttributes(parsing: hexBytes("08 00 34 80 04 00 35 00")[...])
        #expect(attributes[52]?.isFlaggedNested == true)
        #expect(try attributes[52]?.nested().all.map(\.type) == [53])
    }

    @Test func fixedSizeAccessorsCheckTheSize() throws {
        let attributes = try NetlinkAttributes(parsing: hexBytes("06 00 04 00 78 05 00 00")[...])
        #expect(throws: NetlinkParseError.wrongAttributeSize(type: 4, expected: 4, actual: 2)) {
            try attributes[4]?.u32()
        }
        #expect(throws: NetlinkParseError.wrongAttributeSize(type: 4, expected: 4, actual: 2)) {
            try attributes[4]?.ipv4()
        }
        #expect(throws: NetlinkParseError.wrongAttributeSize(type: 4, expected: 6, actual: 2)) {
            try attributes[4]?.mac()
        }
        #expect(try attributes[4]?.u16() == 1400)
    }

    @Test func messageLengthBelowHeaderSize() {
        var iterator = NetlinkMessageIterator(hexBytes("08 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00")[...])
        #expect(throws: NetlinkParseError.invalidLength(what: "message of type 2", length: 8)) {
            try iterator.next()
        }
    }

    @Test func messageHeaderCutShort() {
        var iterator = NetlinkMessageIterator(hexBytes("14 00 00 00 02 00")[...])
        #expect(throws: NetlinkParseError.truncated(what: "message header", needed: 16, available: 6)) {
            try iterator.next()
        }
    }

    @Test func familyHeaderCutShort() throws {
        // RTM_NEWROUTE with 8 of rtmsg's 12 bytes.
        let bytes = hexBytes("18 00 00 00 18 00 02 00 01 00 00 00 00 00 00 00  02 18 00 00 fe 03 00 01")
        let message = try #require(try NetlinkMessageIterator.messages(in: bytes[...]).first)
        #expect(throws: NetlinkParseError.truncated(what: "rtmsg", needed: 12, available: 8)) {
            try RouteMessage(decoding: message)
        }
    }

    /// The address's length says its family (an NDP entry's 16 bytes), not a guess from
    /// the first four.
    @Test func ipv6NeighbourDestinationIsDecodedAsIPv6() throws {
        var payload = NetlinkWriter()
        NeighbourMessage().write(to: &payload)
        payload.put(1, bytes: [UInt8](repeating: 0xfe, count: 16))
        let bytes = FakeKernelReply.datagram(sequence: 1, portID: 1, messages: [(type: 28, flags: 0, payload: payload.bytes)])
        let message = try #require(try NetlinkMessageIterator.messages(in: bytes[...]).first)
        #expect(try NeighbourMessage(decoding: message).destination == IPAddress(bytes: [UInt8](repeating: 0xfe, count: 16)))
        #expect(try NeighbourMessage(decoding: message).destination?.family == .ipv6)
    }
}
