import FoundationEssentials
import Glibc
import PodnetTopology

/// A topology file read from disk and loaded, with its text kept for quoting
/// source lines in diagnostics.
struct TopologyFile {
    let path: String
    let text: String?
    let result: TopologyLoadResult
    /// The parsed tree, when the file parsed.
    let document: TopologyLoader.ParsedDocument?

    init(path: String) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        guard let data = try? Data(contentsOf: url) else {
            text = nil
            document = nil
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permission denied?)" : "does not exist"
            result = TopologyLoadResult(topology: nil, diagnostics: [
                Diagnostic(.error, file: path, at: .init(line: 1, column: 1), "the file \(reason)"),
            ])
            return
        }
        guard let text = String(data: data, encoding: .utf8) else {
            self.text = nil
            document = nil
            // Name the first line that does not decode, so the user can find the stray bytes.
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let bad = (lines.firstIndex { String(data: Data($0), encoding: .utf8) == nil } ?? 0) + 1
            result = TopologyLoadResult(topology: nil, diagnostics: [
                Diagnostic(.error, file: path, at: .init(line: bad, column: 1), "this line is not valid UTF-8 text; save the file as UTF-8"),
            ])
            return
        }
        self.text = text
        switch TopologyLoader.parse(text: text, file: path) {
        case .failed(let failed):
            document = nil
            result = failed
        case .parsed(let parsed):
            document = parsed
            result = TopologyLoader.load(parsed)
        }
    }

    /// The same file resolved again, against the live cluster's assignments, from the
    /// tree already parsed: neither read nor parsed a second time.
    func resolved(live: LiveAssignments) -> TopologyFile {
        guard let document else { return self }
        return TopologyFile(path: path, text: text, document: document, result: TopologyLoader.load(document, live: live))
    }

    private init(path: String, text: String?, document: TopologyLoader.ParsedDocument?, result: TopologyLoadResult) {
        self.path = path
        self.text = text
        self.document = document
        self.result = result
    }

    /// Prints every diagnostic to stderr, compiler-style.
    func reportDiagnostics() {
        let renderer = DiagnosticRenderer(useColor: Terminal.stderrSupportsColor)
        for rendered in renderer.render(result.diagnostics, source: text) {
            Terminal.writeError(rendered)
        }
    }
}
