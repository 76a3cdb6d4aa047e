import CMNL
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// IPVS requests byte for byte, from linux/ip_vs.h: the genlmsghdr carries the
/// command (IPVS_CMD_NEW_SERVICE 1 … IPVS_CMD_GET_DEST 8) and IPVS_GENL_VERSION 1;
/// IPVS_CMD_ATTR_SERVICE (1) and IPVS_CMD_ATTR_DEST (2) are nests (NLA_F_NESTED set);
/// addresses fill the kernel's 16-byte union nf_inet_addr, ports are big-endian
/// (__be16), IPVS_SVC_ATTR_FLAGS is struct ip_vs_flags { flags, mask }.
@Suite struct IPVSRequestEncodingTests {
    static let family = GenericNetlinkFamily(name: "IPVS", id: 0x1c)
    static let service = IPVSServiceMessage(protocolNumber: 6, address: IPv4Address(10, 96, 0, 2), port: 8080)
    static let destination = IPVSDestinationMessage(address: IPv4Address(10, 200, 0, 2), port: 8080)

    static let serviceIdentity = """
        06 00 01 00  02 00 00 00                  # IPVS_SVC_ATTR_AF AF_INET
        06 00 02 00  06 00 00 00                  # IPVS_SVC_ATTR_PROTOCOL IPPROTO_TCP
        14 00 03 00  0a 60 00 02  00 00 00 00 00 00 00 00 00 00 00 00   # IPVS_SVC_ATTR_ADDR 10.96.0.2
        06 00 04 00  1f 90 00 00                  # IPVS_SVC_ATTR_PORT 8080, big-endian
        """

    @Test func newService() throws {
        expectBytes(try sentBytes(.addIPVSService(Self.service, family: Self.family)), hexBytes("""
            68 00 00 00  1c 00  05 00  01 00 00 00  00 00 00 00   # 104 bytes, family 0x1c, REQUEST|ACK
            01 01 00 00                               # IPVS_CMD_NEW_SERVICE, version 1
            54 00 01 80                               # IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, 84 bytes
            \(Self.serviceIdentity)
              07 00 06 00  72 72 00 00                # IPVS_SVC_ATTR_SCHED_NAME "rr"
              0c 00 07 00  00 00 00 00  ff ff ff ff   # IPVS_SVC_ATTR_FLAGS: none, mask all
              08 00 08 00  00 00 00 00                # IPVS_SVC_ATTR_TIMEOUT 0
              08 00 09 00  ff ff ff ff                # IPVS_SVC_ATTR_NETMASK 255.255.255.255
            """))
    }

    @Test func editServiceIsTheSameWithSetService() throws {
        var service = Self.service
        service.scheduler = "wrr"
        service.flags = 1
        service.timeout = 10800
        let bytes = try sentBytes(.setIPVSService(service, family: Self.family))
        #expect(bytes[16] == UInt8(IPVS_CMD_SET_SERVICE))
        #expect(Array(bytes[68..<76]) == hexBytes("08 00 06 00 77 72 72 00"))      // "wrr"
        #expect(Array(bytes[76..<88]) == hexBytes("0c 00 07 00 01 00 00 00 ff ff ff ff"))
        #expect(Array(bytes[88..<96]) == hexBytes("08 00 08 00 30 2a 00 00"))      // 10800
    }

    @Test func deleteServiceNamesItOnly() throws {
        expectBytes(try sentBytes(.deleteIPVSService(Self.service, family: Self.family)), hexBytes("""
            44 00 00 00  1c 00  05 00  01 00 00 00  00 00 00 00   # 68 bytes
            03 01 00 00                               # IPVS_CMD_DEL_SERVICE
            30 00 01 80                               # IPVS_CMD_ATTR_SERVICE, 48 bytes
            \(Self.serviceIdentity)
            """))
    }

    @Test func newDestination() throws {
        expectBytes(try sentBytes(.addIPVSDestination(Self.destination, to: Self.service, family: Self.family)), hexBytes("""
            8c 00 00 00  1c 00  05 00  01 00 00 00  00 00 00 00   # 140 bytes
            05 01 00 00                               # IPVS_CMD_NEW_DEST
            30 00 01 80                               # IPVS_CMD_ATTR_SERVICE, 48 bytes
            \(Self.serviceIdentity)
            48 00 02 80                               # IPVS_CMD_ATTR_DEST | NLA_F_NESTED, 72 bytes
              06 00 0b 00  02 00 00 00                # IPVS_DEST_ATTR_ADDR_FAMILY AF_INET
              14 00 01 00  0a c8 00 02  00 00 00 00 00 00 00 00 00 00 00 00   # IPVS_DEST_ATTR_ADDR 10.200.0.2
              06 00 02 00  1f 90 00 00                # IPVS_DEST_ATTR_PORT 8080
              08 00 03 00  00 00 00 00                # IPVS_DEST_ATTR_FWD_METHOD IP_VS_CONN_F_MASQ
              08 00 04 00  01 00 00 00                # IPVS_DEST_ATTR_WEIGHT 1
              08 00 05 00  00 00 00 00                # IPVS_DEST_ATTR_U_THRESH 0
              08 00 06 00  00 00 00 00                # IPVS_DEST_ATTR_L_THRESH 0
            """))
    }

    @Test func deleteDestinationNamesItOnly() throws {
        let bytes = try sentBytes(.deleteIPVSDestination(Self.destination, of: Self.service, family: Self.family))
        #expect(bytes[16] == UInt8(IPVS_CMD_DEL_DEST))
        #expect(Array(bytes[68...]) == hexBytes("""
            28 00 02 80                               # IPVS_CMD_ATTR_DEST, 40 bytes (children padded)
              06 00 0b 00  02 00 00 00
              14 00 01 00  0a c8 00 02  00 00 00 00 00 00 00 00 00 00 00 00
              06 00 02 00  1f 90 00 00
            """))
    }

    @Test func dumps() throws {
        expectBytes(try sentBytes(.dumpIPVSServices(family: Self.family), dump: true), hexBytes("""
            14 00 00 00  1c 00  01 03  01 00 00 00  00 00 00 00   # 20 bytes, NLM_F_REQUEST|NLM_F_DUMP
            04 01 00 00                               # IPVS_CMD_GET_SERVICE
            """))
        let destinations = try sentBytes(.dumpIPVSDestinations(of: Self.service, family: Self.family), dump: true)
        #expect(Array(destinations[16..<24]) == hexBytes("08 01 00 00  30 00 01 80"))   // IPVS_CMD_GET_DEST, service identity
        #expect(destinations.count == 68)
    }
}
