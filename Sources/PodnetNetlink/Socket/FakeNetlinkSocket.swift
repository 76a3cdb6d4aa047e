import CMNL
import Glibc

/// A socket for tests, here and in other modules: it records every datagram sent and
/// answers receives from a script of reply datagrams. It can also acknowledge every
/// request by itself, for tests that care about what is sent rather than what the
/// kernel says.
public final class FakeNetlinkSocket: NetlinkSocket {
    public let portID: UInt32
    /// Every datagram sent, in order.
    public private(set) var sent: [[UInt8]] = []
    /// Datagrams still to be received, in order.
    public var replies: [[UInt8]] = []
    /// When set, every message sent with NLM_F_ACK is answered by an ACK, and every
    /// dump request by an empty dump (NLMSG_DONE), queued behind scripted replies.
    public var acknowledgesEverything: Bool

    public init(portID: UInt32 = 4242, replies: [[UInt8]] = [], acknowledgesEverything: Bool = false) {
        self.portID = portID
        self.replies = replies
        self.acknowledgesEverything = acknowledgesEverything
    }

    /// The messages of every datagram sent, in order.
    public var sentMessages: [NetlinkMessage] {
        sent.flatMap { (try? NetlinkMessageIterator.messages(in: $0[...])) ?? [] }
    }

    public func send(_ datagram: UnsafeRawBufferPointer) throws(SystemCallError) {
        let bytes = Array(datagram)
        sent.append(bytes)
        guard acknowledgesEverything, let messages = try? NetlinkMessageIterator.messages(in: bytes[...]) else { return }
        for message in messages {
            if message.flags & UInt16(NLM_F_DUMP) == UInt16(NLM_F_DUMP) {
                replies.append(FakeKernelReply.done(sequence: message.sequence, portID: portID))
            } else if message.flags & UInt16(NLM_F_ACK) != 0 {
                replies.append(FakeKernelReply.acknowledgement(sequence: message.sequence, portID: portID))
            }
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        guard !replies.isEmpty else {
            // A real socket would block forever; a test wants to hear about it.
            throw SystemCallError(call: "recvfrom(fake netlink: no reply scripted)", code: EAGAIN)
        }
        let reply = replies.removeFirst()
        guard reply.count <= buffer.count else {
            throw SystemCallError(call: "recvfrom(netlink): datagram larger than the receive buffer", code: ENOSPC)
        }
        reply.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return reply.count
    }
}
