/// Walks the messages packed in one received datagram, checking each nlmsg_len. The
/// messages' payloads are slices of the datagram: no copy is made here.
public struct NetlinkMessageIterator: Sendable {
    private let datagram: ArraySlice<UInt8>
    private var offset: Int

    public init(_ datagram: ArraySlice<UInt8>) {
        self.datagram = datagram
        offset = datagram.startIndex
    }

    public mutating func next() throws(NetlinkParseError) -> NetlinkMessage? {
        let available = datagram.endIndex - offset
        guard available > 0 else { return nil }
        guard available >= NetlinkAlignment.messageHeaderSize else {
            throw .truncated(what: "message header", needed: NetlinkAlignment.messageHeaderSize, available: available)
        }
        var header = NetlinkReader(datagram[offset...], what: "message header")
        let length = Int(try header.read(UInt32.self))
        let type = try header.read(UInt16.self)
        let flags = try header.read(UInt16.self)
        let sequence = try header.read(UInt32.self)
        let portID = try header.read(UInt32.self)
        guard length >= NetlinkAlignment.messageHeaderSize else {
            throw .invalidLength(what: "message of type \(type)", length: length)
        }
        guard length <= available else {
            throw .truncated(what: "message of type \(type)", needed: length, available: available)
        }
        let payload = datagram[(offset + NetlinkAlignment.messageHeaderSize)..<(offset + length)]
        offset = min(offset + NetlinkAlignment.aligned(length), datagram.endIndex)
        return NetlinkMessage(type: type, flags: flags, sequence: sequence, portID: portID, payload: payload)
    }

    /// Every message of a datagram, for callers that keep them.
    public static func messages(in datagram: ArraySlice<UInt8>) throws(NetlinkParseError) -> [NetlinkMessage] {
        var iterator = NetlinkMessageIterator(datagram)
        var messages: [NetlinkMessage] = []
        while let message = try iterator.next() { messages.append(message) }
        return messages
    }
}
