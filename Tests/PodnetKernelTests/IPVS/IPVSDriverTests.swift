import CMNL
import Foundation
import Glibc
import PodnetAddress
@testable import PodnetKernel
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan
import Testing

/// The driver over a fake socket: the kernel's captured dump replies become the
/// model (the kernel's own `hashed` flag dropped), changes become requests in order,
/// and refusals name the ipvsadm command and, for a missing scheduler, the module.
@Suite struct IPVSDriverTests {
    static let family = GenericNetlinkFamily(name: "IPVS", id: 0x20)
    static let port: UInt32 = 4242
    static let namespace = NamespaceRef.named("lab.node-0")

    /// A section of Tests/Fixtures/ipvsadm-1.31-linux-6.1.txt (hex after its name).
    static func captured(_ name: String) -> [UInt8] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/ipvsadm-1.31-linux-6.1.txt")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        var bytes: [UInt8] = []
        var inside = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("[") { inside = line == "[\(name)]"; continue }
            guard inside, !line.hasPrefix("#") else { continue }
            bytes += line.split(separator: " ").map { UInt8($0, radix: 16)! }
        }
        precondition(!bytes.isEmpty, "no capture [\(name)]")
        return bytes
    }

    @Test func capturedDumpsBecomeTheModel() throws {
        let multi = UInt16(NLM_F_MULTI)
        let socket = FakeNetlinkSocket(portID: Self.port, replies: [
            FakeKernelReply.datagram(sequence: 1, portID: Self.port, messages: [
                (Self.family.id, multi, Self.captured("reply service UDP 10.96.0.10:53")),
                (Self.family.id, multi, Self.captured("reply service TCP 10.96.0.2:8080")),
            ]),
            FakeKernelReply.done(sequence: 1, portID: Self.port),
            FakeKernelReply.done(sequence: 2, portID: Self.port),  // no destinations of the UDP service
            FakeKernelReply.datagram(sequence: 3, portID: Self.port, messages: [
                (Self.family.id, multi, Self.captured("reply destination 10.200.0.2:8080")),
            ]),
            FakeKernelReply.done(sequence: 3, portID: Self.port),
        ])
        let driver = IPVSDriver(connection: NetlinkConnection(socket: socket), family: Self.family, namespace: Self.namespace)
        let services = try driver.services()
        #expect(services == [
            IPVSService(id: .init(namespace: Self.namespace, protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080),
                        scheduler: "wrr", flags: .persistent, timeout: 10800,
                        destinations: [IPVSDestination(address: IPv4Address(10, 200, 0, 2), port: 8080, weight: 3)]),
            IPVSService(id: .init(namespace: Self.namespace, protocol: .udp, address: IPv4Address(10, 96, 0, 10), port: 53)),
        ])
    }

    @Test func changesAreSentInOrderInOneBatch() throws {
        let socket = FakeNetlinkSocket(portID: Self.port, acknowledgesEverything: true)
        let driver = IPVSDriver(connection: NetlinkConnection(socket: socket), family: Self.family, namespace: Self.namespace)
        let id = IPVSService.ID(namespace: Self.namespace, protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080)
        let destination = IPVSDestination(address: IPv4Address(10, 200, 0, 2), port: 8080)
        try driver.apply([.deleteService(id), .addService(IPVSService(id: id)), .addDestination(id, destination),
                          .editDestination(id, destination), .deleteDestination(id, destination.id), .editService(IPVSService(id: id))])
        #expect(socket.sent.count == 1, "one datagram")
        #expect(socket.sentMessages.map { $0.payload.first! } == [3, 1, 5, 6, 7, 2].map(UInt8.init))
        #expect(socket.sentMessages.allSatisfy { $0.type == Self.family.id })
    }

    @Test func aRefusalNamesTheCommand() throws {
        let socket = FakeNetlinkSocket(portID: Self.port, replies: [
            FakeKernelReply.error(sequence: 1, portID: Self.port, code: EEXIST, requestType: Self.family.id),
        ])
        let driver = IPVSDriver(connection: NetlinkConnection(socket: socket), family: Self.family, namespace: Self.namespace)
        let id = IPVSService.ID(namespace: Self.namespace, protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080)
        #expect {
            try driver.apply([.addService(IPVSService(id: id))])
        } throws: { error in
            "\(error)".hasPrefix("ip netns exec lab.node-0 ipvsadm -A -t 10.96.0.2:8080 -s rr: IPVS_CMD_NEW_SERVICE TCP 10.96.0.2:8080: File exists (EEXIST)")
        }
    }

    @Test func aMissingSchedulerIsNamedWithItsModule() throws {
        let socket = FakeNetlinkSocket(portID: Self.port, replies: [
            FakeKernelReply.error(sequence: 1, portID: Self.port, code: ENOENT, requestType: Self.family.id),
        ])
        let driver = IPVSDriver(connection: NetlinkConnection(socket: socket), family: Self.family, namespace: .current)
        let id = IPVSService.ID(namespace: .current, protocol: .tcp, address: IPv4Address(10, 96, 0, 2), port: 8080)
        #expect {
            try driver.apply([.addService(IPVSService(id: id, scheduler: "mh"))])
        } throws: { error in
            "\(error)" == "ipvsadm -A -t 10.96.0.2:8080 -s mh: the kernel has no IPVS scheduler 'mh' (CONFIG_IP_VS_MH, module ip_vs_mh)"
        }
    }

    @Test func aPersistentServiceIsSentWithItsFlagAndTimeout() throws {
        let socket = FakeNetlinkSocket(portID: Self.port, acknowledgesEverything: true)
        let driver = IPVSDriver(connection: NetlinkConnection(socket: socket), family: Self.family, namespace: Self.namespace)
        let id = IPVSService.ID(namespace: Self.namespace, protocol: .tcp, address: IPv4Address(192, 168, 64, 4), port: 30080)
        try driver.apply([.addService(IPVSService(id: id, flags: .persistent, timeout: 600))])
        let payload = Array(try #require(socket.sentMessages.first).payload)
        // After the generic header and the service's identity, as `ipvsadm -A -t … -s rr -p 600` sends them.
        #expect(Array(payload[52..<60]) == [0x07, 0x00, 0x06, 0x00, 0x72, 0x72, 0x00, 0x00])              // "rr"
        #expect(Array(payload[60..<72]) == [0x0c, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff])  // IP_VS_SVC_F_PERSISTENT, mask all
        #expect(Array(payload[72..<80]) == [0x08, 0x00, 0x08, 0x00, 0x58, 0x02, 0x00, 0x00])              // 600 seconds
    }

    @Test func theOwnershipFilterSeesAddressAndPort() throws {
        let multi = UInt16(NLM_F_MULTI)
        let socket = FakeNetlinkSocket(portID: Self.port, replies: [
            FakeKernelReply.datagram(sequence: 1, portID: Self.port, messages: [
                (Self.family.id, multi, Self.captured("reply service UDP 10.96.0.10:53")),
                (Self.family.id, multi, Self.captured("reply service TCP 10.96.0.2:8080")),
            ]),
            FakeKernelReply.done(sequence: 1, portID: Self.port),
            FakeKernelReply.done(sequence: 2, portID: Self.port),
        ])
        let driver = IPVSDriver(connection: NetlinkConnection(socket: socket), family: Self.family, namespace: Self.namespace)
        let (included, others) = try driver.services(where: { _, port in port == 53 })
        #expect(included.map(\.id.description) == ["UDP 10.96.0.10:53"])
        #expect(others.map(\.description) == ["TCP 10.96.0.2:8080"])
    }
}
