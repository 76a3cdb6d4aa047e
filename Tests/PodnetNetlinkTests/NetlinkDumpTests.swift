import CMNL
import Glibc
import Testing
@testable import PodnetNetlink

/// Multipart dumps, interrupted dumps and abandoned dumps, against the fake socket.
@Suite struct NetlinkDumpTests {
    let port: UInt32 = 4242

    /// An RTM_NEWLINK dump part for link `index`.
    private func linkPart(_ index: Int32, flags: UInt16 = UInt16(NLM_F_MULTI)) -> (type: UInt16, flags: UInt16, payload: [UInt8]) {
        var payload = NetlinkWriter()
        LinkMessage(index: index, name: "eth\(index)").write(to: &payload)
        return (UInt16(RTM_NEWLINK), flags, payload.bytes)
    }

    @Test func multipartDumpSpansDatagrams() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(1), linkPart(2)]),
            FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(3)]),
            FakeKernelReply.done(sequence: 1, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        let links = try connection.links()
        #expect(links.map(\.index) == [1, 2, 3])
        #expect(links.map(\.name) == ["eth1", "eth2", "eth3"])
        #expect(socket.sent.count == 1)
    }

    @Test func interruptedDumpIsStartedOver() throws {
        let interrupted = UInt16(NLM_F_MULTI | NLM_F_DUMP_INTR)
        let socket = FakeNetlinkSocket(portID: port, replies: [
            // First attempt: the kernel's table changed under the dump.
            FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(1), linkPart(2, flags: interrupted)]),
            FakeKernelReply.done(sequence: 1, portID: port, flags: UInt16(NLM_F_DUMP_INTR)),
            // Second attempt: consistent.
            FakeKernelReply.datagram(sequence: 2, portID: port, messages: [linkPart(1), linkPart(4)]),
            FakeKernelReply.done(sequence: 2, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        let links = try connection.links()
        #expect(links.map(\.index) == [1, 4])
        // The whole dump was asked for again, under a new sequence number.
        #expect(socket.sentMessages.map(\.sequence) == [1, 2])
        #expect(socket.sentMessages.allSatisfy { $0.type == UInt16(RTM_GETLINK) })
    }

    @Test func interruptionMarkedOnlyOnDoneCountsToo() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(1)]),
            FakeKernelReply.done(sequence: 1, portID: port, flags: UInt16(NLM_F_DUMP_INTR)),
            FakeKernelReply.done(sequence: 2, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        #expect(try connection.links().isEmpty)
    }

    @Test func dumpInterruptedEveryTimeIsAnError() {
        let socket = FakeNetlinkSocket(portID: port, replies: (1...3).map {
            FakeKernelReply.done(sequence: UInt32($0), portID: port, flags: UInt16(NLM_F_DUMP_INTR))
        })
        let connection = NetlinkConnection(socket: socket)
        connection.maximumDumpAttempts = 3
        #expect(throws: NetlinkError.dumpInterrupted(request: "RTM_GETLINK dump", attempts: 3)) {
            try connection.dump(.dumpLinks())
        }
        #expect(socket.sent.count == 3)
    }

    @Test func dumpEndingInErrorIsAKernelError() {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.error(sequence: 1, portID: port, code: ENOENT, message: "ipv4: FIB table does not exist"),
        ])
        let connection = NetlinkConnection(socket: socket)
        #expect(throws: NetlinkError.kernel(KernelError(code: ENOENT, message: "ipv4: FIB table does not exist",
                                                        request: "RTM_GETROUTE dump table 77"))) {
            try connection.routes(table: RouteTable(rawValue: 77))
        }
    }

    @Test func doneCarryingAnErrorIsAKernelError() {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(1)]),
            FakeKernelReply.done(sequence: 1, portID: port, code: ENOBUFS),
        ])
        let connection = NetlinkConnection(socket: socket)
        #expect(throws: NetlinkError.kernel(KernelError(code: ENOBUFS, request: "RTM_GETLINK dump"))) {
            try connection.dump(.dumpLinks())
        }
    }

    @Test func abandonedDumpIsReadToItsEndBeforeTheNextRequest() throws {
        var broken = FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(1)])
        broken[16 + 16] = 0xff  // IFLA_IFNAME's nla_len now runs past the message
        let socket = FakeNetlinkSocket(portID: port, replies: [
            broken,
            FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(2)]),
            FakeKernelReply.done(sequence: 1, portID: port),
            FakeKernelReply.acknowledgement(sequence: 2, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        #expect(throws: NetlinkError.self) { try connection.links() }
        // The kernel would refuse a new dump while the old one runs; the connection
        // first reads the old one to its NLMSG_DONE, then handles the next request.
        try connection.execute(.deleteLink(index: 9))
        #expect(socket.replies.isEmpty)
    }

    @Test func malformedAttributeInADumpIsAnError() {
        var broken = FakeKernelReply.datagram(sequence: 1, portID: port, messages: [linkPart(1)])
        broken[16 + 16] = 0xff
        let socket = FakeNetlinkSocket(portID: port, replies: [broken, FakeKernelReply.done(sequence: 1, portID: port)])
        let connection = NetlinkConnection(socket: socket)
        #expect(throws: NetlinkError.malformedReply(.truncated(what: "attribute 3", needed: 255, available: 12),
                                                    request: "RTM_GETLINK dump")) {
            try connection.links()
        }
    }
}
