import Foundation
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
            result = TopologyLoadResult(topology: nil, diagnostics: [
                Diagnostic(.error, file: path, at: .init(line: 1, column: 1), "the file is not UTF-8 text"),
            ])
            return
        }
        self.text = text
        result = TopologyLoader.load(text: text, file: path, live: live)
    }

    /// Prints every diagnostic to stderr, compiler-style.
    func reportDiagnostics() {
        let renderer = DiagnosticRenderer(useColor: Terminal.stderrSupportsColor)
        for diagnostic in result.diagnostics {
            Terminal.writeError(renderer.render(diagnostic, source: text))
        }
    }
}
