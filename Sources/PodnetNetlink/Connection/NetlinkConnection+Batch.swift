import CMNL

extension NetlinkConnection {
    /// Sends many requests with few syscalls and ties every answer to its request.
    ///
    /// Requests are framed back to back into one reused buffer, up to
    /// `batchDatagramSize` bytes per sendto, each with its own sequence number and
    /// NLM_F_ACK. The kernel handles a datagram's messages in order, all of them, even
    /// after one fails, and queues one ACK or error per message; those are read before
    /// the next datagram is sent, so the socket's receive queue never holds more than
    /// one datagram's worth of replies.
    ///
    /// Reported, one outcome per request in request order:
    /// - `.succeeded` for every request the kernel acknowledged;
    /// - `.failed` with the kernel's error (errno, extended-ACK text, attribute offset,
    ///   the request's summary) for every request it refused;
    /// - `.notSent` only under `.stopAtFirstError`, for the requests after the datagram
    ///   holding the first failure. Requests in that same datagram, before or after the
    ///   failed one, were processed and report what the kernel did with them.
    ///
    /// Throws only when the exchange itself breaks (socket error, unparsable or
    /// unattributable reply); then which requests took effect is unknown, and the
    /// kernel's state must be read again.
    public func executeBatch(_ requests: [NetlinkRequest], policy: BatchPolicy = .stopAtFirstError) throws(NetlinkError) -> BatchResult {
        try finishUnfinishedDump()
        var outcomes = [BatchOutcome](repeating: .notSent, count: requests.count)
        var next = requests.startIndex
        while next < requests.endIndex {
            let first = next
            let firstSequence = nextSequence
            sendBuffer.removeAll()
            while next < requests.endIndex {
                let size = NetlinkAlignment.messageHeaderSize + NetlinkAlignment.aligned(requests[next].payload.count)
                if next > first && sendBuffer.count + size > batchDatagramSize { break }
                frame(requests[next], sequence: nextSequence, flags: UInt16(NLM_F_REQUEST | NLM_F_ACK))
                nextSequence &+= 1
                next += 1
            }
            try sendBufferedDatagram()
            try receiveAcknowledgements(for: requests[first..<next], firstSequence: firstSequence, into: &outcomes)
            if policy == .stopAtFirstError, outcomes[first..<next].contains(where: { $0.error != nil }) { break }
        }
        return BatchResult(outcomes: outcomes)
    }

    /// Reads until every request of one datagram has its ACK or error.
    private func receiveAcknowledgements(
        for requests: ArraySlice<NetlinkRequest>, firstSequence: UInt32, into outcomes: inout [BatchOutcome]
    ) throws(NetlinkError) {
        let summary = requests.count == 1 ? requests[requests.startIndex].summary : "batch of \(requests.count) requests"
        var pending = requests.count
        // Messages that precede an ACK (GET replies, echoes), by request index. Rare,
        // so the dictionary stays empty and allocates nothing in the common case.
        var replies: [Int: [NetlinkMessage]] = [:]
        while pending > 0 {
            let size = try receiveDatagram()
            var iterator = NetlinkMessageIterator(receiveBuffer[0..<size])
            while let message = try parse(summary, { () throws(NetlinkParseError) in try iterator.next() }) {
                guard let position = try position(of: message, firstSequence: firstSequence,
                                                   count: requests.count, summary: summary) else { continue }
                let index = requests.startIndex + position
                guard case .notSent = outcomes[index] else {
                    // A second answer to a request already answered.
                    throw .unexpectedReply(sequence: message.sequence, portID: message.portID, request: summary)
                }
                switch Int32(message.type) {
                case NLMSG_ERROR:
                    let acknowledgement = try parse(summary) { () throws(NetlinkParseError) in
                        try KernelAcknowledgement(parsing: message)
                    }
                    if let error = acknowledgement.kernelError(for: requests[index]) {
                        outcomes[index] = .failed(error)
                    } else {
                        outcomes[index] = .succeeded(replies: replies.removeValue(forKey: index) ?? [])
                    }
                    pending -= 1
                case NLMSG_NOOP:
                    continue
                default:
                    // The receive buffer is reused: keep a copy.
                    var kept = message
                    kept.payload = Array(message.payload)[...]
                    replies[index, default: []].append(kept)
                }
            }
        }
    }
}
