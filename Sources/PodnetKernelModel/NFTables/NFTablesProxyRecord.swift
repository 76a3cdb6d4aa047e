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
    public var text: String {
        var text = "\(Self.magic)\nboot \(bootID)\ncookie \(namespaceCookie)\ngeneration \(generation)\nlayout \(record.layout)\n"
        text.reserveCapacity(text.utf8.count + record.services.count * 160)
        for name in record.services.keys.sorted() {
            text += name
            text += " "
            text += record.services[name]!
            text += "\n"
        }
        text += "end \(record.services.count)\n"
        return text
    }

    /// Parses `text`; nil for anything else than what `text` writes (another version
    /// of podnet, a truncated file): the caller then reads the table whole.
    public init?(text: Substring) {
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)[...]
        func header(_ key: String) -> Substring? {
            guard let line = lines.popFirst() else { return nil }
            let value = Substring(line)
            if key.isEmpty { return value }
            return value.hasPrefix(key + " ") ? value.dropFirst(key.count + 1) : nil
        }
        guard header("") == Substring(Self.magic), let bootID = header("boot"),
              let cookie = header("cookie").flatMap({ UInt64($0) }),
              let generation = header("generation").flatMap({ UInt32($0) }),
              let layout = header("layout"),
              let last = lines.popLast().map(Substring.init), last == "end \(lines.count)" else { return nil }
        var services: [String: String] = [:]
        services.reserveCapacity(lines.count)
        for line in lines {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            services[String(Substring(line[..<space]))] = String(Substring(line[line.index(after: space)...]))
        }
        guard services.count == lines.count else { return nil }
        self.init(bootID: String(bootID), namespaceCookie: cookie, generation: generation,
                  record: NFTablesProxyRecord(layout: String(layout), services: services))
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
