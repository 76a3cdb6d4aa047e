import PodnetYAML

/// The result of reading one topology file: the topology when it is valid, and
/// every finding, errors and warnings, sorted by position.
public struct TopologyLoadResult: Sendable {
    public var topology: Topology?
    public var diagnostics: [Diagnostic]

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    public var isValid: Bool { topology != nil }

    public init(topology: Topology?, diagnostics: [Diagnostic]) {
        self.topology = topology
        self.diagnostics = diagnostics
    }
}

/// Parse, decode, validate and allocate: YAML text in, `Topology` out.
public enum TopologyLoader {
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - file: the path shown in diagnostics.
    ///   - live: addresses the live cluster already uses, kept by allocation.
    public static func load(text: String, file: String, live: LiveAssignments = .none) -> TopologyLoadResult {
        switch parse(text: text, file: file) {
        case .failed(let result): return result
        case .parsed(let document): return load(document, live: live)
        }
    }

    /// A file parsed and decoded, ready to be resolved: against no live state first,
    /// then again against the live cluster's assignments, without a second parse or
    /// decode (resolution is what the live state changes).
    public struct ParsedDocument {
        public let file: String
        let spec: TopologySpec
        /// What decoding found (unknown keys, wrong types), reported with each resolution.
        let decodeDiagnostics: [Diagnostic]
    }

    /// What parsing gave: the tree, or (a YAML error, an empty file) the load result to report.
    public enum ParseOutcome {
        case parsed(ParsedDocument)
        case failed(TopologyLoadResult)
    }

    public static func parse(text: String, file: String) -> ParseOutcome {
        let log = DiagnosticLog(file: file)
        let root: YAMLNode?
        do {
            root = try YAMLLoader().load(text)
        } catch {
            log.error(error.mark, error.message)
            return .failed(TopologyLoadResult(topology: nil, diagnostics: log.diagnostics))
        }
        guard let root, root.scalar?.resolved != .null else {
            log.error(.start, "the file is empty; a topology needs at least 'name', 'clusterCIDR' and 'nodes'")
            return .failed(TopologyLoadResult(topology: nil, diagnostics: log.diagnostics))
        }
        let spec = SpecDecoder(log: log).decode(root)
        return .parsed(ParsedDocument(file: file, spec: spec, decodeDiagnostics: log.diagnostics))
    }

    /// Validates and allocates a parsed file.
    public static func load(_ document: ParsedDocument, live: LiveAssignments = .none) -> TopologyLoadResult {
        let log = DiagnosticLog(file: document.file, diagnostics: document.decodeDiagnostics)
        let topology = TopologyResolver(log: log, live: live).resolve(document.spec)
        return TopologyLoadResult(topology: topology, diagnostics: ordered(log.diagnostics))
    }

    /// Sorted by position, stable, and each finding once: a node reused through an
    /// alias or merge key is checked once per use but written once.
    static func ordered(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen: Set<String> = []
        return diagnostics.enumerated()
            .sorted { a, b in (a.element.mark, a.offset) < (b.element.mark, b.offset) }
            .map(\.element)
            .filter { seen.insert("\($0.severity) \($0.line):\($0.column) \($0.message)").inserted }
    }
}
