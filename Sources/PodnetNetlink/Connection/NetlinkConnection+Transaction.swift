import CMNL
import Glibc

/// How much a transaction asks the kernel to say.
public enum TransactionAcknowledgement: Sendable {
    /// NLM_F_ACK on the last message only. The kernel still reports every refused
    /// message, and acknowledges the last one after it has handled all of them, so
    /// that acknowledgement closes the transaction: one reply for a success, however
    /// long the batch.
    case lastMessage
    /// NLM_F_ACK on every message: one reply each (for tests and debugging; a very
    /// long batch can overflow the socket's receive queue).
    case everyMessage
}

/// A refused transaction: which requests the kernel refused, each with its error. A
/// failure without an index is the transaction's own (its commit, or the batch as a
/// whole).
public struct TransactionFailure: Error, Sendable, Equatable {
    public var index: Int?
    public var error: NetlinkError

    public init(index: Int?, error: NetlinkError) {
        self.index = index
        self.error = error
    }
}

public struct TransactionResult: Sendable, Equatable {
    /// Empty when the transaction was committed; otherwise nothing of it took effect.
    public var failures: [TransactionFailure]
    /// How many replies the kernel sent for the transaction.
    public var replies: Int

    public var isCommitted: Bool { failures.isEmpty }
}

extension NetlinkConnection {
    /// Runs `requests` as one nfnetlink transaction: NFNL_MSG_BATCH_BEGIN, the
    /// requests, NFNL_MSG_BATCH_END, all in one datagram (the kernel takes a batch
    /// from one datagram only), each with its own sequence number. The kernel applies
    /// all of them or none: a refused request aborts the whole transaction, and the
    /// result names every refused request with the kernel's error and extended-ACK
    /// message.
    ///
    /// - Parameter generation: the ruleset generation the requests were planned
    ///   against (NFNL_BATCH_GENID): the kernel refuses the whole batch (ERESTART) if
    ///   any other transaction committed since, and a committed batch moves it on to
    ///   the next one (`NFTablesGeneration.after`).
    ///
    /// Throws only when the exchange itself breaks (socket error, unparsable reply);
    /// then whether the transaction took effect is unknown, and the kernel's state must
    /// be read again.
    public func executeTransaction(
        _ requests: [NetlinkRequest], subsystem: UInt16 = NFTablesMessageType.subsystem,
        acknowledgement: TransactionAcknowledgement = .lastMessage, generation: UInt32? = nil
    ) throws(NetlinkError) -> TransactionResult {
        try finishUnfinishedDump()
        guard !requests.isEmpty else { return TransactionResult(failures: [], replies: 0) }
        let begin = nextSequence
        nextSequence &+= UInt32(requests.count + 2)

        sendBuffer.removeAll()
        let frameRequest = NetlinkRequest.batchFrame(type: NFTablesMessageType.batchBegin, subsystem: subsystem, generation: generation)
        frame(frameRequest, sequence: begin, flags: UInt16(NLM_F_REQUEST))
        for (index, request) in requests.enumerated() {
            let asksForAck = acknowledgement == .everyMessage || index == requests.count - 1
            frame(request, sequence: begin &+ UInt32(index + 1), flags: UInt16(NLM_F_REQUEST | (asksForAck ? NLM_F_ACK : 0)))
        }
        frame(.batchFrame(type: NFTablesMessageType.batchEnd, subsystem: subsystem),
              sequence: begin &+ UInt32(requests.count + 1), flags: UInt16(NLM_F_REQUEST))
        try reserveSendBuffer(for: sendBuffer.count)
        try sendBufferedDatagram()

        // Replies: errors for refused requests, ACKs where asked, and an error against
        // the batch's first message when the transaction as a whole failed.
        var awaited = acknowledgement == .everyMessage ? requests.count : 1
        var failures: [TransactionFailure] = []
        var replies = 0
        let summary = "nf_tables transaction of \(requests.count) requests"
        receiving: while awaited > 0 {
            let size = try receiveDatagram()
            var iterator = NetlinkMessageIterator(receiveBuffer[0..<size])
            while let message = try parse(summary, { () throws(NetlinkParseError) in try iterator.next() }) {
                guard let position = try position(of: message, firstSequence: begin, count: requests.count + 2, summary: summary),
                      message.type == UInt16(NLMSG_ERROR) else { continue }
                replies += 1
                let answer = try parse(summary) { () throws(NetlinkParseError) in try KernelAcknowledgement(parsing: message) }
                if position == 0 || position == requests.count + 1 {
                    // The frame itself: the batch was refused as a whole, or its commit failed.
                    if let error = answer.kernelError(for: frameRequest.with(summary: summary)) {
                        failures.append(TransactionFailure(index: nil, error: error))
                        break receiving
                    }
                    continue
                }
                let index = position - 1
                if let error = answer.kernelError(for: requests[index]) {
                    failures.append(TransactionFailure(index: index, error: error))
                }
                if acknowledgement == .everyMessage || index == requests.count - 1 { awaited -= 1 }
            }
        }
        return TransactionResult(failures: failures, replies: replies)
    }

    /// A batch's datagram can be far larger than the socket's default send buffer
    /// (sk_sndbuf, about 200 KiB): netlink refuses a datagram longer than it.
    private func reserveSendBuffer(for size: Int) throws(NetlinkError) {
        guard let kernelSocket = socket as? KernelNetlinkSocket else { return }
        do {
            try kernelSocket.reserveSendBuffer(size + 4096)
        } catch {
            throw .socket(error)
        }
    }
}

extension NetlinkRequest {
    /// NFNL_MSG_BATCH_BEGIN / END: nfgenmsg with AF_UNSPEC and the subsystem as resource id.
    static func batchFrame(type: UInt16, subsystem: UInt16, generation: UInt32? = nil) -> NetlinkRequest {
        NetlinkRequest(type: type, summary: type == NFTablesMessageType.batchBegin ? "NFNL_MSG_BATCH_BEGIN" : "NFNL_MSG_BATCH_END") { writer in
            NFTablesMessageType.writeHeader(family: UInt8(AF_UNSPEC), resourceID: subsystem, to: &writer)
            if let generation { writer.put(NFNL_BATCH_GENID.rawValue, u32BigEndian: generation) }
        }
    }

    func with(summary: String) -> NetlinkRequest {
        var request = self
        request.summary = summary
        return request
    }
}
