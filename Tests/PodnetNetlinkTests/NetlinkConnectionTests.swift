import CMNL
import Glibc
import Testing
@testable import PodnetNetlink

/// Request/reply matching and error handling of `execute`, against the fake socket.
@Suite struct NetlinkConnectionTests {
    let port: UInt32 = 4242

    private func connection(replies: [[UInt8]]) -> (NetlinkConnection, FakeNetlinkSocket) {
        let socket = FakeNetlinkSocket(portID: port, replies: replies)
        return (NetlinkConnection(socket: socket, firstSequence: 1), socket)
    }

    private func error(of body: () throws(NetlinkError) -> Void) -> NetlinkError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func acknowledgementCompletesARequest() throws {
        let (connection, socket) = connection(replies: [FakeKernelReply.acknowledgement(sequence: 1, portID: port)])
        let replies = try connection.execute(.deleteLink(index: 3))
        #expect(replies.isEmpty)
        #expect(socket.sentMessages.map(\.sequence) == [1])
        #expect(socket.replies.isEmpty)
    }

    @Test func sequenceNumbersIncrease() throws {
        let (connection, socket) = connection(replies: [
            FakeKernelReply.acknowledgement(sequence: 1, portID: port),
            FakeKernelReply.acknowledgement(sequence: 2, portID: port),
        ])
        try connection.execute(.deleteLink(index: 3))
        try connection.execute(.deleteLink(index: 4))
        #expect(socket.sentMessages.map(\.sequence) == [1, 2])
    }

    @Test func kernelErrorCarriesExtendedAcknowledgement() {
        let (connection, _) = connection(replies: [
            FakeKernelReply.error(sequence: 1, portID: port, code: EEXIST, requestType: UInt16(RTM_NEWLINK),
                                  message: "Device already exists", attributeOffset: 32),
        ])
        let failure = error { () throws(NetlinkError) in
            try connection.execute(.addLink(LinkMessage(name: "veth0", info: .veth(peer: nil))))
        }
        let expected = KernelError(code: EEXIST, message: "Device already exists", attributeOffset: 32,
                                   request: "RTM_NEWLINK veth0 (veth)")
        #expect(failure == .kernel(expected))
        #expect(failure?.kernelError?.isAlreadyExisting == true)
        #expect(failure?.description ==
            "RTM_NEWLINK veth0 (veth): File exists (EEXIST): Device already exists [attribute at offset 32]")
    }

    @Test func uncappedErrorEchoingTheRequestIsParsed() throws {
        // Without NETLINK_CAP_ACK the kernel echoes the whole request before the TLVs.
        var writer = NetlinkWriter()
        writer.message(type: UInt16(NLMSG_ERROR), flags: UInt16(NLM_F_ACK_TLVS), sequence: 1, portID: port) { body in
            body.append(Int32(-EINVAL))
            body.message(type: UInt16(RTM_NEWLINK), flags: 5, sequence: 1, portID: 0) { request in
                request.append(contentsOf: [UInt8](repeating: 0, count: 16))
                request.put(IFLA_IFNAME, string: "x")
            }
            body.put(NLMSGERR_ATTR_MSG.rawValue, string: "Invalid value")
        }
        let (connection, _) = connection(replies: [writer.bytes])
        let failure = error { () throws(NetlinkError) in try connection.execute(.deleteLink(name: "x")) }
        #expect(failure?.kernelError?.code == EINVAL)
        #expect(failure?.kernelError?.message == "Invalid value")
    }

    @Test func missingLinkKindIsNamed() {
        let (connection, _) = connection(replies: [
            FakeKernelReply.error(sequence: 1, portID: port, code: EOPNOTSUPP, message: "Unknown device type"),
        ])
        let failure = error { () throws(NetlinkError) in
            try connection.execute(.addLink(LinkMessage(name: "tun0", info: .ipip(IPIPInfo()))))
        }
        guard case let .missingLinkKind(missing) = failure else {
            Issue.record("expected missingLinkKind, got \(String(describing: failure))")
            return
        }
        #expect(missing.kind == "ipip")
        #expect(missing.description ==
            "RTM_NEWLINK tun0 (ipip): the kernel has no 'ipip' link type (CONFIG_NET_IPIP, module ipip)")
        #expect(failure?.code == EOPNOTSUPP)
    }

    @Test func otherNotSupportedErrorsStayKernelErrors() {
        let (connection, _) = connection(replies: [
            FakeKernelReply.error(sequence: 1, portID: port, code: EOPNOTSUPP, message: "Operation not supported"),
        ])
        let failure = error { () throws(NetlinkError) in
            try connection.execute(.addLink(LinkMessage(name: "v", info: .veth(peer: nil))))
        }
        guard case .kernel = failure else {
            Issue.record("expected a plain kernel error, got \(String(describing: failure))")
            return
        }
    }

    @Test func replyWithUnknownSequenceIsAnError() {
        let (connection, _) = connection(replies: [FakeKernelReply.acknowledgement(sequence: 99, portID: port)])
        let failure = error { () throws(NetlinkError) in try connection.execute(.deleteLink(index: 3)) }
        #expect(failure == .unexpectedReply(sequence: 99, portID: port, request: "RTM_DELLINK index 3"))
    }

    @Test func replyFromAnotherPortIsAnError() {
        let (connection, _) = connection(replies: [FakeKernelReply.acknowledgement(sequence: 1, portID: 7)])
        let failure = error { () throws(NetlinkError) in try connection.execute(.deleteLink(index: 3)) }
        #expect(failure == .unexpectedReply(sequence: 1, portID: 7, request: "RTM_DELLINK index 3"))
    }

    @Test func leftoverReplyOfAnEarlierRequestIsDropped() throws {
        let (connection, _) = connection(replies: [
            FakeKernelReply.acknowledgement(sequence: 1, portID: port),
            // Request 2's caller gave up; its answer arrives late, before request 3's.
            FakeKernelReply.acknowledgement(sequence: 2, portID: port),
            FakeKernelReply.acknowledgement(sequence: 3, portID: port),
        ])
        try connection.execute(.deleteLink(index: 1))
        connection.nextSequence = 3
        try connection.execute(.deleteLink(index: 3))
    }

    @Test func secondAnswerToOneRequestIsAnError() {
        var datagram = FakeKernelReply.acknowledgement(sequence: 1, portID: port)
        datagram += FakeKernelReply.acknowledgement(sequence: 1, portID: port)
        let (connection, _) = connection(replies: [datagram])
        let failure = error { () throws(NetlinkError) in try connection.execute(.deleteLink(index: 3)) }
        #expect(failure == .unexpectedReply(sequence: 1, portID: port, request: "RTM_DELLINK index 3"))
    }

    @Test func truncatedReplyIsMalformedNotACrash() {
        var reply = FakeKernelReply.acknowledgement(sequence: 1, portID: port)
        reply.removeLast(8)  // nlmsg_len now promises more than the datagram holds
        let (connection, _) = connection(replies: [reply])
        let failure = error { () throws(NetlinkError) in try connection.execute(.deleteLink(index: 3)) }
        #expect(failure == .malformedReply(.truncated(what: "message of type 2", needed: 36, available: 28),
                                           request: "RTM_DELLINK index 3"))
    }

    @Test func errorMessageTooShortForNlmsgerrIsMalformed() {
        var writer = NetlinkWriter()
        writer.message(type: UInt16(NLMSG_ERROR), flags: 0, sequence: 1, portID: port) { $0.append(Int32(0)) }
        let (connection, _) = connection(replies: [writer.bytes])
        let failure = error { () throws(NetlinkError) in try connection.execute(.deleteLink(index: 3)) }
        guard case .malformedReply(.truncated, _) = failure else {
            Issue.record("expected a malformed reply, got \(String(describing: failure))")
            return
        }
    }

    @Test func getReturnsTheObjectBeforeTheAcknowledgement() throws {
        var link = LinkMessage(index: 5, name: "eth0")
        link.mtu = 1500
        var payload = NetlinkWriter()
        link.write(to: &payload)
        let reply = FakeKernelReply.datagram(sequence: 1, portID: port, messages: [
            (type: UInt16(RTM_NEWLINK), flags: 0, payload: payload.bytes),
        ])
        let (connection, _) = connection(replies: [reply, FakeKernelReply.acknowledgement(sequence: 1, portID: port)])
        let found = try connection.link(named: "eth0")
        #expect(found == link)
    }

    @Test func getOfMissingLinkIsNil() throws {
        let (connection, _) = connection(replies: [FakeKernelReply.error(sequence: 1, portID: port, code: ENODEV)])
        #expect(try connection.link(named: "nope") == nil)
    }

    @Test func socketFailureIsReported() {
        let (connection, _) = connection(replies: [])
        let failure = error { () throws(NetlinkError) in try connection.execute(.deleteLink(index: 3)) }
        #expect(failure?.code == EAGAIN)
    }
}
