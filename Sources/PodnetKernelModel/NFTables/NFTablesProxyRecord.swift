/// What podnet last committed to a node's nftables proxy table, as the inputs the
/// table was rendered from: one line per service, and a fingerprint of everything
/// else that shapes the table (the layout). Together with the namespace's ruleset
/// generation at that moment it stands for the table itself: while the generation
/// has not moved, the kernel holds exactly what rendering these inputs gives, and
/// a diff needs to render only the services whose lines changed, not read 20,000
/// rules back (`NFTablesRecordStore`).
public struct NFTablesProxyRecord: Equatable, Sendable, Codable {
    /// A fingerprint of the table's fixed part and of how services are laid out.
    public var layout: String
    /// Each service's inputs, by service name: "CLUSTER-IP PORTS ENDPOINTS", as
    /// `10.96.0.10 53:53/udp,53:53/tcp 10.244.0.2,10.244.1.2` ("-" for none).
    public var services: [String: String]

    public init(layout: String, services: [String: String]) {
        self.layout = layout
        self.services = services
    }
}

/// A record as stored for one table of one namespace: with the machine's boot and the
/// namespace's cookie (namespace names are reused; cookies are not, until the machine
/// restarts) and the generation the record stands for.
public struct NFTablesRecordFile: Equatable, Sendable {
    /// /proc/sys/kernel/random/boot_id: a record from before a restart (where /run
    /// outlives one) stands for nothing, even if cookie and generation repeat.
    public var bootID: String
    public var namespaceCookie: UInt64
    public var generation: UInt32
    public var record: NFTablesProxyRecord

    public init(bootID: String, namespaceCookie: UInt64, generation: UInt32, record: NFTablesProxyRecord) {
        self.bootID = bootID
        self.namespaceCookie = namespaceCookie
        self.generation = generation
        self.record = record
    }

    static let magic = "podnet-nftables-record 1"

    /// The file's text: five header lines, "NAME LINE" per service by name, and a
    /// last line that counts them (a file cut short is not taken for a smaller record).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// `text` as the bytes written to the file.
    public var bytes: [UInt8] {
        var bytes = Array("\(Self.magic)\nboot \(bootID)\ncookie \(namespaceCookie)\ngeneration \(generation)\nlayout \(record.layout)\n".utf8)
        bytes.reserveCapacity(bytes.count + record.services.count * 160)
        for name in record.services.keys.sorted() {
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: record.services[name]!.utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        bytes.append(contentsOf: "end \(record.services.count)\n".utf8)
        return bytes
    }

    /// Parses `text`; nil for anything else than what `text` writes (another version
    /// of podnet, a truncated file): the caller then reads the table whole.
    public init?(text: Substring) {
        var text = String(text)
        guard let file = text.withUTF8({ Self(utf8: $0) }) else { return nil }
        self = file
    }

    /// Parses the bytes of a record file: exactly what `bytes` writes, nothing else (no
    /// blank line, no missing last newline, numbers as written). Scanned over the
    /// buffer, not with `split`: the generic `split` took a third of a change's own
    /// work at 1,000 services.
    public init?(utf8 buffer: UnsafeBufferPointer<UInt8>) {
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " ")
        guard buffer.last == newline else { return nil }
        // The lines, as ranges of `buffer`, without their newlines.
        var lines: [Range<Int>] = []
        var start = 0
        while start < buffer.count {
            let end = buffer[start...].firstIndex(of: newline)!
            guard end > start else { return nil }
            lines.append(start..<end)
            start = end + 1
        }
        func string(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self) }
        func header(_ index: Int, _ key: String) -> String? {
            let line = string(lines[index])
            return line.hasPrefix(key + " ") ? String(line.dropFirst(key.count + 1)) : nil
        }
        func number<Number: FixedWidthInteger>(_ text: String?, as _: Number.Type) -> Number? {
            text.flatMap { Number($0) }.flatMap { String($0) == text ? $0 : nil }
        }
        let count = lines.count - 6
        guard count >= 0, string(lines[0]) == Self.magic, let bootID = header(1, "boot"),
              let cookie = number(header(2, "cookie"), as: UInt64.self),
              let generation = number(header(3, "generation"), as: UInt32.self),
              let layout = header(4, "layout"), string(lines[lines.count - 1]) == "end \(count)" else { return nil }
        var services: [String: String] = [:]
        services.reserveCapacity(count)
        for line in lines[5..<(lines.count - 1)] {
            guard let split = buffer[line].firstIndex(of: space) else { return nil }
            services[string(line.lowerBound..<split)] = string((split + 1)..<line.upperBound)
        }
        guard services.count == count else { return nil }
        self.init(bootID: bootID, namespaceCookie: cookie, generation: generation,
                  record: NFTablesProxyRecord(layout: layout, services: services))
    }
}

/// A namespace's nf_tables ruleset generation, and the namespace it is of (by cookie;
/// nil on kernels before 5.14, which have none: no record is kept or used there).
public struct NFTablesGenerationStamp: Hashable, Sendable, Codable {
    public var generation: UInt32
    public var namespaceCookie: UInt64?

    public init(generation: UInt32, namespaceCookie: UInt64?) {
        self.generation = generation
        self.namespaceCookie = namespaceCookie
    }
}
