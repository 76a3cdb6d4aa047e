/// A reply that does not have the shape the netlink protocol promises: lengths that
/// run past the data, attributes of the wrong size. Parsing never traps on bad input;
/// it throws one of these instead.
public enum NetlinkParseError: Error, Equatable, Sendable {
    /// Fewer bytes than the structure needs (`what` names the structure).
    case truncated(what: String, needed: Int, available: Int)
    /// A length field that contradicts the data around it.
    case invalidLength(what: String, length: Int)
    /// A fixed-size attribute (u8, u32, IPv4 address, MAC address) of another size.
    case wrongAttributeSize(type: UInt16, expected: Int, actual: Int)
}

extension NetlinkParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            return "truncated netlink data: \(what) needs \(needed) bytes, \(available) available"
        case let .invalidLength(what, length):
            return "malformed netlink data: \(what) has invalid length \(length)"
        case let .wrongAttributeSize(type, expected, actual):
            return "malformed netlink attribute \(type): expected \(expected) bytes, got \(actual)"
        }
    }
}
