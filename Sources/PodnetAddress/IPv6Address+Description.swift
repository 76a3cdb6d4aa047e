/// The canonical text form of RFC 5952 §4, so that one address always prints the
/// same way and a diff of texts is a diff of addresses: lowercase, no leading zeros,
/// the longest run of two or more zero groups as `::` (the first of equal runs), a
/// lone zero group written `0`. An IPv4-mapped address prints its last 32 bits
/// dotted (`::ffff:192.0.2.1`, §5). The deprecated IPv4-compatible form
/// (`::192.0.2.1`, RFC 4291 §2.5.5.1) is not singled out and prints in hexadecimal
/// (`::c000:201`), as Go's netip does; glibc's `inet_ntop`, and so iproute2, print it
/// dotted.
extension IPv6Address: CustomStringConvertible, LosslessStringConvertible {
    public var description: String {
        if let ipv4 = ipv4Mapped { return "::ffff:\(ipv4)" }
        let groups = self.groups
        let run = Self.longestZeroRun(in: groups)
        let colon = UInt8(ascii: ":")
        // Written byte by byte: plans and diffs print many addresses, and this is
        // several times faster than joining `String(_:radix:)` pieces.
        return String(unsafeUninitializedCapacity: 39) { text in
            var count = 0
            var index = 0
            while index < 8 {
                if let run, index == run.lowerBound {
                    if index == 0 { text[count] = colon; count += 1 }
                    text[count] = colon
                    count += 1
                    index = run.upperBound
                    continue
                }
                count = Self.writeHex(groups[index], into: text, at: count)
                index += 1
                if index < 8 { text[count] = colon; count += 1 }
            }
            return count
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Writes `group` in lowercase hex without leading zeros; returns the new end.
    private static func writeHex(_ group: UInt16, into text: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var count = start
        var shift = 12
        while shift > 0, group >> UInt16(shift) == 0 { shift -= 4 }
        while shift >= 0 {
            text[count] = hexDigits[Int(group >> UInt16(shift) & 0xf)]
            count += 1
            shift -= 4
        }
        return count
    }

    /// The first of the longest runs of at least two zero groups.
    private static func longestZeroRun(in groups: [UInt16]) -> Range<Int>? {
        var best: Range<Int>?
        var start: Int?
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if start == nil { start = index }
                continue
            }
            if let runStart = start, index - runStart >= 2, index - runStart > (best?.count ?? 0) {
                best = runStart..<index
            }
            start = nil
        }
        return best
    }
}
