/// Parsing the text forms of RFC 4291 §2.2: eight groups of 1 to 4 hexadecimal
/// digits in either case, `::` once for one or more zero groups anywhere, and a
/// dotted IPv4 address in place of the last two groups. Nothing else: no zone index,
/// no brackets, no surrounding space, no `+`/`0x`, no leading zeros in the IPv4 part
/// (which some tools read as octal). What glibc's `inet_pton` accepts, the same.
extension IPv6Address {
    public init?(_ text: some StringProtocol) {
        guard let address = try? IPv6Address(parsing: text) else { return nil }
        self = address
    }

    public init(parsing text: some StringProtocol) throws(IPv6AddressSyntaxError) {
        // One conversion, then a walk over contiguous UTF-8 that this module compiles
        // for itself: generic code over the caller's string type is many times slower.
        var text = String(text)
        self = try text.withUTF8 { Self.parse($0) }.get()
    }

    private typealias Characters = Slice<UnsafeBufferPointer<UInt8>>

    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")
    private static let percent = UInt8(ascii: "%")

    private static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Result<IPv6Address, IPv6AddressSyntaxError> {
        guard !text.isEmpty else { return .failure(.empty) }
        if let zone = text.firstIndex(of: percent) {
            return .failure(.zoneIndex(String(decoding: text[(zone + 1)...], as: UTF8.self)))
        }
        if let invalid = text.firstIndex(where: { !isHexDigit($0) && $0 != colon && $0 != dot }) {
            // Everything before is ASCII, so a character starts here.
            return .failure(.invalidCharacter(String(decoding: text[invalid...], as: UTF8.self).first!))
        }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        do throws(IPv6AddressSyntaxError) {
            let characters = text[...]
            guard let compression = try doubleColon(in: characters) else {
                try appendGroups(of: characters, endsText: true, to: &groups)
                guard groups.count <= 8 else { throw .tooManyGroups(groups.count) }
                guard groups.count == 8 else { throw .tooFewGroups(groups.count) }
                return .success(IPv6Address(groups: groups)!)
            }
            let tail = characters[(compression + 2)...]
            // The head always has '::' after it, so it never ends the text.
            try appendGroups(of: characters[..<compression], endsText: false, to: &groups)
            let headCount = groups.count
            try appendGroups(of: tail, endsText: true, to: &groups)
            guard groups.count <= 7 else { throw .noGroupsForDoubleColon(groups.count) }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: headCount)
            return .success(IPv6Address(groups: groups)!)
        } catch {
            return .failure(error)
        }
    }

    /// Where `::` starts, if it does; a second one is an error.
    private static func doubleColon(in characters: Characters) throws(IPv6AddressSyntaxError) -> Int? {
        var found: Int?
        var index = characters.startIndex
        while index + 1 < characters.endIndex {
            guard characters[index] == colon, characters[index + 1] == colon else {
                index += 1
                continue
            }
            guard found == nil else { throw .moreThanOneDoubleColon }
            found = index
            index += 2   // ":::" leaves a lone ':' after it: an empty group, not a second '::'
        }
        return found
    }

    /// The groups of `part`, a text between the ends and `::` that holds only hex
    /// digits, ':' and '.'. An empty part (beside `::`) has none.
    /// - Parameter endsText: whether `part` is the end of the address, the one place
    ///   a dotted IPv4 part may stand.
    private static func appendGroups(
        of part: Characters, endsText: Bool, to groups: inout [UInt16]
    ) throws(IPv6AddressSyntaxError) {
        guard !part.isEmpty else { return }
        let fields = part.split(separator: colon, omittingEmptySubsequences: false)
        for (index, field) in fields.enumerated() {
            guard !field.isEmpty else { throw .emptyGroup }
            if field.contains(dot) {
                let text = String(decoding: field, as: UTF8.self)
                guard endsText, index == fields.count - 1 else { throw .misplacedIPv4Part(text) }
                guard let address = IPv4Address(text) else { throw .invalidIPv4Part(text) }
                groups.append(UInt16(truncatingIfNeeded: address.value >> 16))
                groups.append(UInt16(truncatingIfNeeded: address.value))
            } else {
                guard field.count <= 4 else { throw .groupTooLong(String(decoding: field, as: UTF8.self)) }
                groups.append(field.reduce(0) { $0 << 4 | UInt16(hexDigitValue($1)) })
            }
        }
    }

    private static func isHexDigit(_ character: UInt8) -> Bool {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
            return true
        default:
            return false
        }
    }

    /// The value of an ASCII hex digit (already checked to be one).
    private static func hexDigitValue(_ character: UInt8) -> UInt8 {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        default: return character - UInt8(ascii: "A") + 10
        }
    }
}
