/// Why a text is not an IPv6 address, so that validation can say more than "invalid".
/// Each description is a phrase about the text, written for the user who typed it;
/// the caller names the field and the text.
public enum IPv6AddressSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    /// `fe80::1%eth0`: RFC 4007's zone index. Topology fields name the interface
    /// themselves, and the kernel takes it as an interface index, never in the text.
    case zoneIndex(String)
    case invalidCharacter(Character)
    case moreThanOneDoubleColon
    /// A single `:` at the start or end, or `:::`.
    case emptyGroup
    case groupTooLong(String)
    /// Without `::`: more than eight groups (a dotted IPv4 part counts as two).
    case tooManyGroups(Int)
    /// Without `::`: fewer than eight groups.
    case tooFewGroups(Int)
    /// With `::`: eight or more groups besides it, so it would stand for none.
    case noGroupsForDoubleColon(Int)
    /// A dotted IPv4 part anywhere but at the end.
    case misplacedIPv4Part(String)
    case invalidIPv4Part(String)

    public var description: String {
        switch self {
        case .empty:
            return "the text is empty"
        case .zoneIndex(let zone):
            return "a zone index ('%\(zone)') is not part of the address here; write the address without it"
        case .invalidCharacter(let character):
            return "'\(character)' cannot appear in an IPv6 address; write up to eight groups of 1 to 4 hexadecimal digits separated by ':', like 2001:db8::1"
        case .moreThanOneDoubleColon:
            return "'::' may appear only once, or the number of zero groups each stands for is ambiguous"
        case .emptyGroup:
            return "a group is empty (a single ':' at the start or end, or ':::'); write '::' once for a run of zero groups"
        case .groupTooLong(let group):
            return "group '\(group)' has more than 4 hexadecimal digits"
        case .tooManyGroups(let count):
            return "it has \(count) groups; an IPv6 address has 8"
        case .tooFewGroups(let count):
            return "it has only \(count) groups; write all 8, or '::' for a run of zero groups"
        case .noGroupsForDoubleColon(let count):
            return "it has \(count) groups besides '::', which stands for at least one; an IPv6 address has 8 in all"
        case .misplacedIPv4Part(let part):
            return "the dotted IPv4 part '\(part)' may only end the address, as in ::ffff:192.0.2.1"
        case .invalidIPv4Part(let part):
            return "'\(part)' is not a dotted IPv4 address (four numbers 0-255 without leading zeros)"
        }
    }
}
