import CMNL
import PodnetAddress
import Testing
@testable import PodnetNetlink

/// podnet's IPVS requests against ipvsadm's, captured in the full-kernel lane, and
/// the kernel's captured dump replies parsed.
///
/// Byte for byte: new and edited services (TCP and UDP), and both dump requests.
/// Destination requests: ipvsadm puts the whole service (with an empty scheduler
/// name) in front and three tunnel attributes (type, port, flags: for tunnel
/// forwarding only) in the destination; podnet names the service by its identity
/// and leaves the tunnel attributes out. Every other attribute is the same, in the
/// same order, with the same bytes.
@Suite struct IPVSCapturedComparisonTests {
    static let family = GenericNetlinkFamily(name: "IPVS", id: 0x20)
    static let tcp = IPVSServiceMessage(protocolNumber: 6, address: IPv4Address(10, 96, 0, 2), port: 8080)
    static let udp = IPVSServiceMessage(protocolNumber: 17, address: IPv4Address(10, 96, 0, 10), port: 53)
    static let destination = IPVSDestinationMessage(address: IPv4Address(10, 200, 0, 2), port: 8080)

    /// The payload after nlmsghdr, as the capture holds it.
    func payload(_ request: NetlinkRequest, dump: Bool = false) throws -> [UInt8] {
        let bytes = try sentBytes(request, dump: dump)
        #expect(bytes[4..<6] == [0x20, 0x00], "the family's id as nlmsg_type")
        return Array(bytes[16...])
    }

    @Test func newServicesAreIpvsadms() throws {
        expectBytes(try payload(.addIPVSService(Self.tcp, family: Self.family)),
                    CapturedIPVS.bytes("request ipvsadm -A -t 10.96.0.2:8080 -s rr"))
        expectBytes(try payload(.addIPVSService(Self.udp, family: Self.family)),
                    CapturedIPVS.bytes("request ipvsadm -A -u 10.96.0.10:53 -s rr"))
    }

    @Test func anEditedServiceIsIpvsadms() throws {
        var service = Self.tcp
        service.scheduler = "wrr"
        service.flags = 1  // IP_VS_SVC_F_PERSISTENT
        service.timeout = 10800
        expectBytes(try payload(.setIPVSService(service, family: Self.family)),
                    CapturedIPVS.bytes("request ipvsadm -E -t 10.96.0.2:8080 -s wrr -p 10800"))
    }

    @Test func dumpRequestsAreIpvsadms() throws {
        expectBytes(try payload(.dumpIPVSServices(family: Self.family), dump: true),
                    CapturedIPVS.bytes("request ipvsadm -Ln services"))
        expectBytes(try payload(.dumpIPVSDestinations(of: Self.tcp, family: Self.family), dump: true),
                    CapturedIPVS.bytes("request ipvsadm -Ln destinations of TCP 10.96.0.2:8080"))
    }

    /// The top-level attributes (service nest, destination nest) of a payload.
    func nests(_ payload: [UInt8]) throws -> (service: [NetlinkAttribute], destination: [NetlinkAttribute]) {
        let top = try NetlinkAttributes(parsing: payload[4...])
        return (try #require(top[IPVS_CMD_ATTR_SERVICE]).nested().all, try #require(top[IPVS_CMD_ATTR_DEST]).nested().all)
    }

    func compareDestinationRequest(_ ours: NetlinkRequest, _ capture: String) throws {
        let mine = try payload(ours)
        let theirs = CapturedIPVS.bytes(capture)
        #expect(mine[0..<4] == theirs[0..<4], "genlmsghdr")
        let (myService, myDestination) = try nests(mine)
        let (theirService, theirDestination) = try nests(theirs)
        let identity: Set<UInt16> = [UInt16(IPVS_SVC_ATTR_AF), UInt16(IPVS_SVC_ATTR_PROTOCOL), UInt16(IPVS_SVC_ATTR_ADDR), UInt16(IPVS_SVC_ATTR_PORT)]
        #expect(myService == theirService.filter { identity.contains($0.type) })
        let tunnel: Set<UInt16> = [UInt16(IPVS_DEST_ATTR_TUN_TYPE), UInt16(IPVS_DEST_ATTR_TUN_PORT), UInt16(IPVS_DEST_ATTR_TUN_FLAGS)]
        #expect(myDestination == theirDestination.filter { !tunnel.contains($0.type) })
    }

    @Test func destinationRequestsMatchIpvsadmsButForTheirExtras() throws {
        try compareDestinationRequest(.addIPVSDestination(Self.destination, to: Self.tcp, family: Self.family),
                                      "request ipvsadm -a -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m")
        var weighted = Self.destination
        weighted.weight = 3
        try compareDestinationRequest(.setIPVSDestination(weighted, of: Self.tcp, family: Self.family),
                                      "request ipvsadm -e -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m -w 3")
    }

    @Test func theKernelsDumpRepliesParse() throws {
        let port: UInt32 = 4242
        let multi = UInt16(NLM_F_MULTI)
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.datagram(sequence: 1, portID: port, messages: [
                (Self.family.id, multi, CapturedIPVS.bytes("reply service UDP 10.96.0.10:53")),
                (Self.family.id, multi, CapturedIPVS.bytes("reply service TCP 10.96.0.2:8080")),
            ]),
            FakeKernelReply.done(sequence: 1, portID: port),
            FakeKernelReply.datagram(sequence: 2, portID: port, messages: [
                (Self.family.id, multi, CapturedIPVS.bytes("reply destination 10.200.0.2:8080")),
            ]),
            FakeKernelReply.done(sequence: 2, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        let services = try connection.ipvsServices(family: Self.family)
        #expect(services.map(\.subject) == ["UDP 10.96.0.10:53", "TCP 10.96.0.2:8080"])
        #expect(services.map(\.scheduler) == ["rr", "wrr"])
        #expect(services.map(\.flags) == [0x2, 0x3], "the kernel adds IP_VS_SVC_F_HASHED")
        #expect(services.map(\.timeout) == [0, 10800])
        let destinations = try connection.ipvsDestinations(of: services[1], family: Self.family)
        #expect(destinations.map(\.subject) == ["10.200.0.2:8080"])
        #expect(destinations.first?.weight == 3)
        #expect(destinations.first?.forwardingMethod == 0)
        #expect(destinations.first?.addressFamily == 2)
    }
}
