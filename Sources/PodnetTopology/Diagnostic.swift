import PodnetYAML

/// One finding about a topology file: an error (the file is not applied) or a
/// warning (it is, but probably not as the user meant).
public struct Diagnostic: Equatable, Sendable, Codable {
    public enum Severity: String, Codable, Sendable {
        case error
        case warning
    }

    public var severity: Severity
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(_ severity: Severity, file: String, at mark: SourceMark, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = mark.line
        self.column = mark.column
        self.message = message
    }

    public var mark: SourceMark { SourceMark(line: line, column: column) }
}

/// Gathers the findings of one file, in the order found; callers sort for output.
final class DiagnosticLog {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    /// A log that starts with what an earlier stage found (decoding, when a parsed
    /// file is resolved again).
    init(file: String, diagnostics: [Diagnostic]) {
        self.file = file
        self.diagnostics = diagnostics
    }

    func error(_ mark: SourceMark, _ message: String) {
        diagnostics.append(Diagnostic(.error, file: file, at: mark, message))
    }

    func warning(_ mark: SourceMark, _ message: String) {
        diagnostics.append(Diagnostic(.warning, file: file, at: mark, message))
    }

    var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
}
