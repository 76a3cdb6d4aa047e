/// One received netlink message: the fields of its nlmsghdr and its payload (the
/// family header and attributes that follow the header).
public struct NetlinkMessage: Sendable, Equatable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    public var payload: ArraySlice<UInt8>

    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: ArraySlice<UInt8>) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// A reader over the family header at the front of the payload.
    public func reader(what: String) -> NetlinkReader {
        NetlinkReader(payload, what: what)
    }

    /// The attributes after a family header of `headerSize` bytes.
    public func attributes(afterHeaderOfSize headerSize: Int) throws(NetlinkParseError) -> NetlinkAttributes {
        guard payload.count >= headerSize else {
            throw .truncated(what: "family header of message type \(type)", needed: headerSize, available: payload.count)
        }
        return try NetlinkAttributes(parsing: payload.dropFirst(NetlinkAlignment.aligned(headerSize)))
    }
}
