/// `struct genlmsghdr`, the 4 bytes after nlmsghdr in every generic netlink message:
/// the family's command and its interface version (then 2 reserved bytes).
public struct GenericNetlinkHeader: Sendable, Equatable {
    public static let size = 4

    public var command: UInt8
    public var version: UInt8

    public init(command: UInt8, version: UInt8) {
        self.command = command
        self.version = version
    }

    public func write(to writer: inout NetlinkWriter) {
        writer.append(command)
        writer.append(version)
        writer.append(UInt16(0))  // reserved
    }

    public init(decoding message: NetlinkMessage) throws(NetlinkParseError) {
        var reader = message.reader(what: "genlmsghdr")
        command = try reader.read(UInt8.self)
        version = try reader.read(UInt8.self)
        try reader.skip(2)
    }
}
