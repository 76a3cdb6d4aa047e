import PodnetAddress

extension IPv6Address {
    /// A random address with many zero groups, so that runs to compress (and ties
    /// between them) are common rather than one in 65,536 per group.
    static func random(using generator: inout SeededGenerator) -> IPv6Address {
        let groups: [UInt16] = (0..<8).map { _ in
            switch generator.next() % 4 {
            case 0, 1: return 0
            case 2: return UInt16(truncatingIfNeeded: generator.next() % 16)
            default: return UInt16(truncatingIfNeeded: generator.next())
            }
        }
        // Now and then an IPv4-mapped one, which prints dotted.
        if generator.next() % 16 == 0 {
            return IPv6Address(ipv4Mapped: IPv4Address(UInt32(truncatingIfNeeded: generator.next())))
        }
        return IPv6Address(groups: groups)!
    }

    /// One of the many texts RFC 4291 §2.2 allows for this address: any run of
    /// zero groups (or none) as '::', any case, leading zeros up to four digits,
    /// and the last 32 bits dotted or not.
    func randomSpelling(using generator: inout SeededGenerator) -> String {
        let groups = self.groups
        var zeroRuns: [Range<Int>] = []
        for start in 0..<8 {
            for end in start..<8 {
                guard groups[end] == 0 else { break }
                zeroRuns.append(start..<(end + 1))
            }
        }
        let compressed: Range<Int>? = zeroRuns.isEmpty || generator.next() % 4 == 0
            ? nil : zeroRuns[Int(generator.next() % UInt64(zeroRuns.count))]
        let dotted = generator.next() % 4 == 0 && (compressed?.upperBound ?? 0) <= 6
        func spell(_ index: Int) -> String {
            var text = String(groups[index], radix: 16, uppercase: generator.next() % 2 == 0)
            let padding = Int(generator.next() % UInt64(5 - text.count))
            text = String(repeating: "0", count: padding) + text
            return text
        }
        let last = dotted ? 6 : 8
        var fields: [String] = []
        var index = 0
        var doubleColonAt: Int?
        while index < last {
            if let run = compressed, run.lowerBound == index {
                doubleColonAt = fields.count
                index = min(run.upperBound, last)
                continue
            }
            fields.append(spell(index))
            index += 1
        }
        if dotted {
            fields.append(IPv4Address(UInt32(groups[6]) << 16 | UInt32(groups[7])).description)
        }
        guard let split = doubleColonAt else { return fields.joined(separator: ":") }
        return fields[..<split].joined(separator: ":") + "::" + fields[split...].joined(separator: ":")
    }
}
