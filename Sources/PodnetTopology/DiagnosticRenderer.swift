/// Prints diagnostics the way compilers do:
///
///     lab.yaml:12:34: error: pod 'a0' address 10.200.1.2 is outside node 'node-0' podCIDR 10.200.0.0/24
///        12 |   - { name: a0, node: node-0, ip: 10.200.1.2 }
///           |                                   ^
public struct DiagnosticRenderer: Sendable {
    public var useColor: Bool

    public init(useColor: Bool = false) { self.useColor = useColor }

    /// Renders each diagnostic, quoting its line from `source` when the source is known.
    public func render(_ diagnostics: [Diagnostic], source: String?) -> [String] {
        // Split once: a file with many findings would otherwise be scanned once per finding.
        let lines = source.map { $0.split(separator: "\n", omittingEmptySubsequences: false) } ?? []
        return diagnostics.map { diagnostic in
            let line = lines.indices.contains(diagnostic.line - 1) ? lines[diagnostic.line - 1] : nil
            return render(diagnostic, line: line.map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) })
        }
    }

    /// Renders one diagnostic, quoting its source line if given.
    public func render(_ diagnostic: Diagnostic, line: String?) -> String {
        let label = diagnostic.severity == .error ? paint("error:", "1;31") : paint("warning:", "1;35")
        var text = paint("\(diagnostic.file):\(diagnostic.line):\(diagnostic.column):", "1") + " \(label) \(diagnostic.message)"
        if let line {
            let number = String(diagnostic.line)
            let gutter = String(repeating: " ", count: number.count)
            // Keep tabs in the caret line so the caret lines up under tab-indented text.
            let lead = line.unicodeScalars.prefix(max(0, diagnostic.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n \(number) | \(line)\n \(gutter) | \(lead)" + paint("^", "1;32")
        }
        return text
    }

    private func paint(_ text: String, _ code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
