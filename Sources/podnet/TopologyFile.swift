import FoundationEssentials
import Glibc
import PodnetTopology

/// A topology file read from disk and loaded, with its text kept for quoting
/// source lines in diagnostics.
struct TopologyFile {
    let path: String
    let text: String?
    let result: TopologyLoadResult

    init(path: String, live: LiveAssignments = .none) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        guard let data = try? Data(contentsOf: url) else {
            text = nil
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permission denied?)" : "does not exist"
            result = TopologyLoadResult(topology: nil, diagnostics: [
                Diagnostic(.error, file: path, at: .init(line: 1, column: 1), "the file \(reason)"),
            ])
            return
        }
        guard let text = String(data: data, encoding: .utf8) else {
            self.text = nil
            // Name the first line that does not decode, so the user can find the stray bytes.
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let bad = (lines.firstIndex { String(data: Data($0), encoding: .utf8) == nil } ?? 0) + 1
            result = TopologyLoadResult(topology: nil, diagnostics: [
                Diagnostic(.error, file: path, at: .init(line: bad, column: 1), "this line is not valid UTF-8 text; save the file as UTF-8"),
            ])
            return
        }
        self.text = text
        result = TopologyLoader.load(text: text, file: path, live: live)
    }

    /// Prints every diagnostic to stderr, compiler-style.
    func reportDiagnostics() {
        let renderer = DiagnosticRenderer(useColor: Terminal.stderrSupportsColor)
        for rendered in renderer.render(result.diagnostics, source: text) {
            Terminal.writeError(rendered)
        }
    }
}
