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
        guard let run = Self.longestZeroRun(in: groups) else {
            return groups.map { String($0, radix: 16) }.joined(separator: ":")
        }
        let head = groups[..<run.lowerBound].map { String($0, radix: 16) }.joined(separator: ":")
        let tail = groups[run.upperBound...].map { String($0, radix: 16) }.joined(separator: ":")
        return head + "::" + tail
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
