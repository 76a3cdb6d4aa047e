import CMNL
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// IPv6 IPVS services and destinations on the wire (linux/ip_vs.h): IPVS_SVC_ATTR_AF
/// and IPVS_DEST_ATTR_ADDR_FAMILY AF_INET6 (10), the whole 16-byte address field
/// holding the address, and the persistence netmask as a prefix length (128), which
/// ip_vs_add_service reads as the raw 32-bit value and refuses outside 1...128.
@Suite struct IPVSIPv6EncodingTests {
    static let family = GenericNetlinkFamily(name: "IPVS", id: 0x1c)
    static let service = IPVSServiceMessage(protocolNumber: 6, address: IPAddress("fd00:96::1")!, port: 8080)
    static let destination = IPVSDestinationMessage(address: IPAddress("fd00:200::2")!, port: 8080)

    static let serviceIdentity = """
        06 00 01 00  0a 00 00 00                  # IPVS_SVC_ATTR_AF AF_INET6
        06 00 02 00  06 00 00 00                  # IPVS_SVC_ATTR_PROTOCOL IPPROTO_TCP
        14 00 03 00  fd 00 00 96  00 00 00 00 00 00 00 00 00 00 00 01   # IPVS_SVC_ATTR_ADDR fd00:96::1
        06 00 04 00  1f 90 00 00                  # IPVS_SVC_ATTR_PORT 8080, big-endian
        """

    @Test func newIPv6Service() throws {
        expectBytes(try sentBytes(.addIPVSService(Self.service, family: Self.family)), hexBytes("""
            68 00 00 00  1c 00  05 00  01 00 00 00  00 00 00 00   # 104 bytes, as IPv4's: the field is 16 bytes in both
            01 01 00 00                               # IPVS_CMD_NEW_SERVICE, version 1
            54 00 01 80                               # IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, 84 bytes
            \(Self.serviceIdentity)
              07 00 06 00  72 72 00 00                # IPVS_SVC_ATTR_SCHED_NAME "rr"
              0c 00 07 00  00 00 00 00  ff ff ff ff   # IPVS_SVC_ATTR_FLAGS: none, mask all
              08 00 08 00  00 00 00 00                # IPVS_SVC_ATTR_TIMEOUT 0
              08 00 09 00  80 00 00 00                # IPVS_SVC_ATTR_NETMASK 128, host order
            """))
    }

    @Test func newIPv6Destination() throws {
        let bytes = try sentBytes(.addIPVSDestination(Self.destination, to: Self.service, family: Self.family))
        #expect(Array(bytes[20..<68]) == hexBytes("30 00 01 80 \(Self.serviceIdentity)"))
        #expect(Array(bytes[68..<100]) == hexBytes("""
            48 00 02 80                               # IPVS_CMD_ATTR_DEST | NLA_F_NESTED, 72 bytes
              06 00 0b 00  0a 00 00 00                # IPVS_DEST_ATTR_ADDR_FAMILY AF_INET6
              14 00 01 00  fd 00 02 00  00 00 00 00 00 00 00 00 00 00 00 02   # IPVS_DEST_ATTR_ADDR fd00:200::2
            """))
    }

    /// What `write` sends, `init(decoding:)` reads back the same, in both families.
    @Test(arguments: ["10.96.0.2", "fd00:96::1"])
    func aServiceRoundTrips(address: String) throws {
        var sent = IPVSServiceMessage(protocolNumber: 17, address: IPAddress(address)!, port: 53, scheduler: "wrr", flags: 1, timeout: 60)
        sent.netmask = sent.addressFamily == 10 ? 64 : 0xffff_ff00
        var writer = NetlinkWriter()
        sent.write(to: &writer, full: true)
        let nest = try #require(try NetlinkAttributes(parsing: writer.bytes[...])[IPVS_CMD_ATTR_SERVICE])
        let read = try IPVSServiceMessage(decoding: try nest.nested())
        #expect(read == sent)
        #expect(read.subject == (address.contains(":") ? "UDP [fd00:96::1]:53" : "UDP 10.96.0.2:53"))
    }

    @Test(arguments: ["10.200.0.2", "fd00:200::2"])
    func aDestinationRoundTrips(address: String) throws {
        let sent = IPVSDestinationMessage(address: IPAddress(address)!, port: 8080, weight: 3)
        var writer = NetlinkWriter()
        sent.write(to: &writer, full: true)
        let nest = try #require(try NetlinkAttributes(parsing: writer.bytes[...])[IPVS_CMD_ATTR_DEST])
        let read = try IPVSDestinationMessage(decoding: try nest.nested())
        #expect(read == sent)
    }

    /// A kernel before 4.9 dumps no IPVS_DEST_ATTR_ADDR_FAMILY: the service's family is the destination's.
    @Test func aDestinationWithoutItsFamilyTakesTheServices() throws {
        var payload = NetlinkWriter()
        payload.put(IPVS_DEST_ATTR_ADDR, bytes: IPAddress("fd00:200::2")!.bytes)
        payload.put(IPVS_DEST_ATTR_PORT, u16BigEndian: 8080)
        let attributes = try NetlinkAttributes(parsing: payload.bytes[...])
        #expect(try IPVSDestinationMessage(decoding: attributes, serviceFamily: 10).address == IPAddress("fd00:200::2"))
        #expect(try IPVSDestinationMessage(decoding: attributes).address == IPAddress("253.0.2.0"))
    }

    @Test func aShortIPv6AddressIsAnError() throws {
        var payload = NetlinkWriter()
        payload.put(IPVS_SVC_ATTR_AF, u16: 10)
        payload.put(IPVS_SVC_ATTR_ADDR, bytes: [0xfd, 0, 0, 0x96])
        #expect(throws: NetlinkParseError.self) { try IPVSServiceMessage(decoding: NetlinkAttributes(parsing: payload.bytes[...])) }
    }
}
