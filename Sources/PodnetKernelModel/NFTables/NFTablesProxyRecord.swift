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

/// A record as stored for one table of one namespace: with the namespace's cookie
/// (namespace names are reused; cookies are not) and the generation the record
/// stands for.
public struct NFTablesRecordFile: Equatable, Sendable {
    public var namespaceCookie: UInt64
    public var generation: UInt32
    public var record: NFTablesProxyRecord

    public init(namespaceCookie: UInt64, generation: UInt32, record: NFTablesProxyRecord) {
        self.namespaceCookie = namespaceCookie
        self.generation = generation
        self.record = record
    }

    static let magic = "podnet-nftables-record 1"

    /// The file's text: four header lines, then "NAME LINE" per service, by name.
    public var text: String {
        var text = "\(Self.magic)\ncookie \(namespaceCookie)\ngeneration \(generation)\nlayout \(record.layout)\n"
        text.reserveCapacity(text.utf8.count + record.services.count * 160)
        for name in record.services.keys.sorted() {
            text += name
            text += " "
            text += record.services[name]!
            text += "\n"
        }
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
        guard header("") == Substring(Self.magic),
              let cookie = header("cookie").flatMap({ UInt64($0) }),
              let generation = header("generation").flatMap({ UInt32($0) }),
              let layout = header("layout") else { return nil }
        var services: [String: String] = [:]
        services.reserveCapacity(lines.count)
        for line in lines {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            services[String(Substring(line[..<space]))] = String(Substring(line[line.index(after: space)...]))
        }
        self.init(namespaceCookie: cookie, generation: generation, record: NFTablesProxyRecord(layout: String(layout), services: services))
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
