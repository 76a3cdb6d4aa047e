import CMNL
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// Dump replies as the kernel writes them (net/netfilter/ipvs/ip_vs_ctl.c,
/// ip_vs_genl_fill_service / _fill_dest): the whole 16-byte address, the flags with
/// the kernel's own IP_VS_SVC_F_HASHED, and the statistics nests podnet skips.
@Suite struct IPVSReplyParsingTests {
    let port: UInt32 = 4242
    static let family = GenericNetlinkFamily(name: "IPVS", id: 0x1c)

    func serviceReply(sequence: UInt32) -> [UInt8] {
        var payload = NetlinkWriter()
        GenericNetlinkHeader(command: UInt8(IPVS_CMD_NEW_SERVICE), version: 1).write(to: &payload)
        payload.nest(IPVS_CMD_ATTR_SERVICE) { nest in
            nest.put(IPVS_SVC_ATTR_AF, u16: 2)
            nest.put(IPVS_SVC_ATTR_PROTOCOL, u16: 17)
            nest.put(IPVS_SVC_ATTR_ADDR, bytes: [10, 96, 0, 10] + [UInt8](repeating: 0, count: 12))
            nest.put(IPVS_SVC_ATTR_PORT, u16BigEndian: 53)
            nest.put(IPVS_SVC_ATTR_SCHED_NAME, string: "rr")
            nest.attribute(IPVS_SVC_ATTR_FLAGS) { $0.append(UInt32(0x2)); $0.append(UInt32.max) }
            nest.put(IPVS_SVC_ATTR_TIMEOUT, u32: 0)
            nest.put(IPVS_SVC_ATTR_NETMASK, u32: UInt32.max)
            nest.nest(IPVS_SVC_ATTR_STATS) { $0.put(IPVS_STATS_ATTR_CONNS, u32: 7) }
        }
        return FakeKernelReply.datagram(sequence: sequence, portID: port, messages: [(Self.family.id, UInt16(NLM_F_MULTI), payload.bytes)])
    }

    func destinationReply(sequence: UInt32) -> [UInt8] {
        var payload = NetlinkWriter()
        GenericNetlinkHeader(command: UInt8(IPVS_CMD_NEW_DEST), version: 1).write(to: &payload)
        payload.nest(IPVS_CMD_ATTR_DEST) { nest in
            nest.put(IPVS_DEST_ATTR_ADDR, bytes: [10, 200, 0, 2] + [UInt8](repeating: 0, count: 12))
            nest.put(IPVS_DEST_ATTR_PORT, u16BigEndian: 5353)
            nest.put(IPVS_DEST_ATTR_FWD_METHOD, u32: 0)
            nest.put(IPVS_DEST_ATTR_WEIGHT, u32: 2)
            nest.put(IPVS_DEST_ATTR_U_THRESH, u32: 0)
            nest.put(IPVS_DEST_ATTR_L_THRESH, u32: 0)
            nest.put(IPVS_DEST_ATTR_ACTIVE_CONNS, u32: 3)
            nest.put(IPVS_DEST_ATTR_INACT_CONNS, u32: 1)
            nest.put(IPVS_DEST_ATTR_ADDR_FAMILY, u16: 2)
        }
        return FakeKernelReply.datagram(sequence: sequence, portID: port, messages: [(Self.family.id, UInt16(NLM_F_MULTI), payload.bytes)])
    }

    @Test func servicesAndDestinationsAreDecoded() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            serviceReply(sequence: 1), FakeKernelReply.done(sequence: 1, portID: port),
            destinationReply(sequence: 2), FakeKernelReply.done(sequence: 2, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        let services = try connection.ipvsServices(family: Self.family)
        #expect(services.count == 1)
        let service = try #require(services.first)
        #expect(service.subject == "UDP 10.96.0.10:53")
        #expect(service.scheduler == "rr")
        #expect(service.flags == 0x2)
        #expect(service.netmask == UInt32.max)
        let destinations = try connection.ipvsDestinations(of: service, family: Self.family)
        #expect(destinations.map(\.subject) == ["10.200.0.2:5353"])
        #expect(destinations.first?.weight == 2)
        #expect(destinations.first?.activeConnections == 3)
        #expect(destinations.first?.forwardingMethod == 0)
    }

    @Test func aFirewallMarkServiceHasNoAddress() throws {
        var payload = NetlinkWriter()
        payload.put(IPVS_SVC_ATTR_AF, u16: 2)
        payload.put(IPVS_SVC_ATTR_FWMARK, u32: 100)
        payload.put(IPVS_SVC_ATTR_SCHED_NAME, string: "wrr")
        let service = try IPVSServiceMessage(decoding: NetlinkAttributes(parsing: payload.bytes[...]))
        #expect(service.firewallMark == 100)
        #expect(service.address == nil)
        #expect(service.subject == "fwmark 100")
    }

    @Test func aShortAddressIsAnError() throws {
        var payload = NetlinkWriter()
        payload.put(IPVS_SVC_ATTR_AF, u16: 2)
        payload.put(IPVS_SVC_ATTR_ADDR, bytes: [10, 96])
        #expect(throws: NetlinkParseError.self) { try IPVSServiceMessage(decoding: NetlinkAttributes(parsing: payload.bytes[...])) }
    }
}
