import CMNL

/// Requests and replies over one netlink socket: framing, sequence numbers, matching
/// every reply to the request it answers, and turning the kernel's answers into
/// results and typed errors.
///
/// Not thread-safe: a connection (and its socket) serves one caller at a time.
public final class NetlinkConnection {
    public let socket: any NetlinkSocket
    /// Largest datagram a batch packs (more messages per sendto, fewer syscalls). A
    /// single message larger than this is still sent, alone.
    public var batchDatagramSize = NetlinkConnection.defaultBatchDatagramSize
    /// 32 KiB: the size of the kernel's own dump datagrams, and far below the socket's
    /// send limit (sk_sndbuf).
    public static let defaultBatchDatagramSize = 32 * 1024
    /// How often a dump is started over when the kernel flags it NLM_F_DUMP_INTR.
    public var maximumDumpAttempts = 5

    var nextSequence: UInt32
    var sendBuffer: NetlinkWriter
    var receiveBuffer: [UInt8]
    /// A dump abandoned part-way (its caller threw): the kernel keeps producing it as
    /// the socket is read, and refuses another dump on this socket (EBUSY) until it
    /// has ended, so the next operation reads it to its end first.
    var unfinishedDump: (sequence: UInt32, summary: String)?

    /// `receiveBufferSize` must hold the largest datagram the kernel sends: dump
    /// datagrams are at most 32 KiB.
    public init(socket: any NetlinkSocket, firstSequence: UInt32 = 1, receiveBufferSize: Int = 64 * 1024) {
        self.socket = socket
        nextSequence = firstSequence
        sendBuffer = NetlinkWriter(capacity: Self.defaultBatchDatagramSize + 4096)
        // Not zeroed: the kernel writes what is read, and a reader opens one
        // connection per namespace (hundreds), most of which receive a page or two.
        receiveBuffer = [UInt8](unsafeUninitializedCapacity: receiveBufferSize) { _, count in count = receiveBufferSize }
    }

    // MARK: Operations

    /// Sends one request and waits for its ACK. Returns what the kernel sent before
    /// the ACK (the object, for a GET or a request with NLM_F_ECHO).
    @discardableResult
    public func execute(_ request: NetlinkRequest) throws(NetlinkError) -> [NetlinkMessage] {
        let result = try executeBatch([request])
        switch result.outcomes[0] {
        case let .succeeded(replies): return replies
        case let .failed(error): throw error
        case .notSent: preconditionFailure("a batch of one always sends its request")
        }
    }

    /// Sends a dump request and returns every message of the dump. An interrupted
    /// dump (the kernel's tables changed while it was being read) is started over, up
    /// to `maximumDumpAttempts` times.
    public func dump(_ request: NetlinkRequest) throws(NetlinkError) -> [NetlinkMessage] {
        try finishUnfinishedDump()
        let attempts = max(1, maximumDumpAttempts)
        for _ in 0..<attempts {
            let sequence = nextSequence
            nextSequence &+= 1
            sendBuffer.removeAll()
            frame(request, sequence: sequence, flags: UInt16(NLM_F_REQUEST | NLM_F_DUMP))
            try sendBufferedDatagram()
            unfinishedDump = (sequence, request.summary)
            let (messages, interrupted) = try receiveDump(of: request, sequence: sequence)
            if !interrupted { return messages }
        }
        throw .dumpInterrupted(request: request.summary, attempts: attempts)
    }

    // MARK: Sending

    /// Appends one framed message to the send buffer. Requests carry port id 0, as
    /// iproute2's do: the kernel knows the sender without it.
    func frame(_ request: NetlinkRequest, sequence: UInt32, flags: UInt16) {
        sendBuffer.message(type: request.type, flags: request.flags | flags, sequence: sequence, portID: 0) {
            $0.append(contentsOf: request.payload)
        }
    }

    func sendBufferedDatagram() throws(NetlinkError) {
        // Array's closure-taking methods do not carry typed errors through; a Result does.
        let outcome = sendBuffer.bytes.withUnsafeBytes { bytes in
            Result { () throws(SystemCallError) in try socket.send(bytes) }
        }
        if case let .failure(error) = outcome { throw .socket(error) }
    }

    // MARK: Receiving

    /// Receives one datagram into the receive buffer; returns its size.
    func receiveDatagram() throws(NetlinkError) -> Int {
        let outcome = receiveBuffer.withUnsafeMutableBytes { buffer in
            Result { () throws(SystemCallError) in try socket.receive(into: buffer) }
        }
        switch outcome {
        case let .success(size): return size
        case let .failure(error): throw .socket(error)
        }
    }

    /// Where a reply belongs among `count` requests numbered from `firstSequence`:
    /// its position, or nil for a leftover of an earlier request of this connection
    /// (one whose caller stopped listening), which is dropped. Anything else, from
    /// another port or with a number not yet sent, is an error.
    func position(of reply: NetlinkMessage, firstSequence: UInt32, count: Int, summary: String) throws(NetlinkError) -> Int? {
        guard socket.portID == 0 || reply.portID == socket.portID else {
            throw .unexpectedReply(sequence: reply.sequence, portID: reply.portID, request: summary)
        }
        let distance = Int32(bitPattern: reply.sequence &- firstSequence)
        if distance < 0 { return nil }
        guard Int(distance) < count else {
            throw .unexpectedReply(sequence: reply.sequence, portID: reply.portID, request: summary)
        }
        return Int(distance)
    }

    private func receiveDump(of request: NetlinkRequest, sequence: UInt32) throws(NetlinkError) -> ([NetlinkMessage], Bool) {
        var messages: [NetlinkMessage] = []
        var interrupted = false
        while true {
            let size = try receiveDatagram()
            // Dump messages outlive the receive buffer: copy the datagram once, and let
            // its messages share the copy.
            let datagram = Array(receiveBuffer[0..<size])
            var iterator = NetlinkMessageIterator(datagram[...])
            while let message = try parse(request.summary, { () throws(NetlinkParseError) in try iterator.next() }) {
                guard try position(of: message, firstSequence: sequence, count: 1, summary: request.summary) != nil else {
                    continue
                }
                if message.flags & UInt16(NLM_F_DUMP_INTR) != 0 { interrupted = true }
                switch Int32(message.type) {
                case NLMSG_DONE, NLMSG_ERROR:
                    unfinishedDump = nil
                    let end = try parse(request.summary) { () throws(NetlinkParseError) in
                        try KernelAcknowledgement(parsing: message)
                    }
                    if let error = end.kernelError(for: request) { throw error }
                    return (messages, interrupted)
                case NLMSG_NOOP:
                    continue
                default:
                    messages.append(message)
                }
            }
        }
    }

    /// Reads an abandoned dump to its end, dropping it.
    func finishUnfinishedDump() throws(NetlinkError) {
        guard let dump = unfinishedDump else { return }
        // Whatever happens below, do not try again: a broken reply stream will not heal.
        unfinishedDump = nil
        while true {
            let size = try receiveDatagram()
            var iterator = NetlinkMessageIterator(receiveBuffer[0..<size])
            while let message = try parse(dump.summary, { () throws(NetlinkParseError) in try iterator.next() }) {
                if message.sequence == dump.sequence,
                   message.type == UInt16(NLMSG_DONE) || message.type == UInt16(NLMSG_ERROR) {
                    return
                }
            }
        }
    }

    /// Runs a parsing step, classifying its failure as a malformed reply to `summary`.
    func parse<T>(_ summary: String, _ step: () throws(NetlinkParseError) -> T) throws(NetlinkError) -> T {
        do {
            return try step()
        } catch {
            throw .malformedReply(error, request: summary)
        }
    }
}
