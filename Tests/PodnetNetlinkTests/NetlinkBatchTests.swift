import CMNL
import Glibc
import Testing
@testable import PodnetNetlink

/// Pipelined batches: packing, attribution of answers by sequence number, and what is
/// reported when a request fails.
@Suite struct NetlinkBatchTests {
    let port: UInt32 = 4242

    /// Five requests of 32 bytes framed (16-byte header, 16-byte ifinfomsg).
    let requests = (1...5).map { NetlinkRequest.deleteLink(index: Int32($0)) }

    @Test func answersAreTiedToRequestsBySequenceNumber() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            // Attribution follows the sequence numbers, not the arrival order.
            FakeKernelReply.error(sequence: 3, portID: port, code: ENODEV),
            FakeKernelReply.acknowledgement(sequence: 1, portID: port),
            FakeKernelReply.acknowledgement(sequence: 2, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        let result = try connection.executeBatch(Array(requests[0..<3]), policy: .continueAfterErrors)
        #expect(result.outcomes[0].isSuccess)
        #expect(result.outcomes[1].isSuccess)
        #expect(result.outcomes[2] == .failed(.kernel(KernelError(code: ENODEV, request: "RTM_DELLINK index 3"))))
        #expect(result.firstFailure?.index == 2)
        // One datagram for all three.
        #expect(socket.sent.count == 1)
        #expect(socket.sentMessages.map(\.sequence) == [1, 2, 3])
    }

    @Test func stopAtFirstErrorReportsWhatTheKernelAlreadyDid() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.acknowledgement(sequence: 1, portID: port),
            FakeKernelReply.acknowledgement(sequence: 2, portID: port),
            FakeKernelReply.error(sequence: 3, portID: port, code: ENODEV, message: "no such device"),
            FakeKernelReply.acknowledgement(sequence: 4, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        connection.batchDatagramSize = 64  // two requests per datagram
        let result = try connection.executeBatch(requests, policy: .stopAtFirstError)
        #expect(result.outcomes[0].isSuccess)
        #expect(result.outcomes[1].isSuccess)
        #expect(result.outcomes[2].error?.kernelError?.message == "no such device")
        // Packed behind the failure in the same datagram: processed all the same.
        #expect(result.outcomes[3].isSuccess)
        // After the failing datagram nothing more was sent.
        #expect(result.outcomes[4] == .notSent)
        #expect(socket.sent.count == 2)
        #expect(socket.sent.map(\.count) == [64, 64])
        #expect(!result.allSucceeded)
    }

    @Test func continueAfterErrorsSendsEverything() throws {
        let socket = FakeNetlinkSocket(portID: port, replies: [
            FakeKernelReply.error(sequence: 1, portID: port, code: ENODEV),
            FakeKernelReply.acknowledgement(sequence: 2, portID: port),
            FakeKernelReply.acknowledgement(sequence: 3, portID: port),
            FakeKernelReply.error(sequence: 4, portID: port, code: ENODEV),
            FakeKernelReply.acknowledgement(sequence: 5, portID: port),
        ])
        let connection = NetlinkConnection(socket: socket)
        connection.batchDatagramSize = 64
        let result = try connection.executeBatch(requests, policy: .continueAfterErrors)
        #expect(result.outcomes.map(\.isSuccess) == [false, true, true, false, true])
        #expect(socket.sent.count == 3)
    }

    @Test func manyRequestsArePackedIntoFewDatagrams() throws {
        let socket = FakeNetlinkSocket(portID: port, acknowledgesEverything: true)
        let connection = NetlinkConnection(socket: socket, firstSequence: 1000)
        let many = (1...500).map { NetlinkRequest.deleteLink(name: "veth\($0)") }
        let result = try connection.executeBatch(many)
        #expect(result.allSucceeded)
        #expect(socket.sent.allSatisfy { $0.count <= 32 * 1024 })
        // 500 messages of 44 to 48 bytes: about 22 KiB, one datagram.
        #expect(socket.sent.count == 1)
        #expect(socket.sentMessages.map(\.sequence) == Array(1000..<1500))
    }

    @Test func oversizedRequestIsSentAlone() throws {
        let socket = FakeNetlinkSocket(portID: port, acknowledgesEverything: true)
        let connection = NetlinkConnection(socket: socket)
        connection.batchDatagramSize = 40
        let result = try connection.executeBatch([.deleteLink(name: "a-long-name"), .deleteLink(index: 1)])
        #expect(result.allSucceeded)
        #expect(socket.sent.map(\.count) == [48, 32])
    }

    @Test func emptyBatchSendsNothing() throws {
        let socket = FakeNetlinkSocket(portID: port)
        let result = try NetlinkConnection(socket: socket).executeBatch([])
        #expect(result.outcomes.isEmpty)
        #expect(socket.sent.isEmpty)
    }

    @Test func lostAnswersBreakTheBatch() {
        // Fewer answers than requests: the receive fails (a real socket would report
        // ENOBUFS or block); the batch throws and the caller must re-read the kernel.
        let socket = FakeNetlinkSocket(portID: port, replies: [FakeKernelReply.acknowledgement(sequence: 1, portID: port)])
        let connection = NetlinkConnection(socket: socket)
        #expect(throws: NetlinkError.self) { try connection.executeBatch(Array(requests[0..<2])) }
    }
}
