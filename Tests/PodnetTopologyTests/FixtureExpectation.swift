/// A finding a fixture file expects, marked inside the file itself:
///
///     - { name: node-0, podCidr: 10.200.0.0/24 }
///   #                   ^ did you mean 'podCIDR'?
///
/// The caret's column on a comment line names the column of the line above; the
/// text after it is a fragment of the message. `# expect: LINE:COL fragment` says
/// the same where no caret fits. A fragment starting `warning: ` expects a warning.
struct FixtureExpectation: CustomStringConvertible {
    var line: Int
    var column: Int
    var fragment: String
    var isWarning: Bool

    var description: String { "\(line):\(column) \(isWarning ? "warning" : "error") containing \"\(fragment)\"" }

    static func parse(_ text: String) -> [FixtureExpectation] {
        var expectations: [FixtureExpectation] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("# expect: ") {
                let rest = line.dropFirst("# expect: ".count)
                let parts = rest.split(separator: " ", maxSplits: 1)
                let position = parts[0].split(separator: ":")
                guard parts.count == 2, position.count == 2, let l = Int(position[0]), let c = Int(position[1]) else { continue }
                expectations.append(make(line: l, column: c, text: String(parts[1])))
            } else if line.hasPrefix("#"), let caret = line.firstIndex(of: "^"),
                      line[line.index(after: line.startIndex)..<caret].allSatisfy({ $0 == " " }) {
                let column = line.distance(from: line.startIndex, to: caret) + 1
                let fragment = line[line.index(after: caret)...].drop { $0 == " " }
                expectations.append(make(line: index, column: column, text: String(fragment)))
            }
        }
        return expectations
    }

    private static func make(line: Int, column: Int, text: String) -> FixtureExpectation {
        if text.hasPrefix("warning: ") {
            return FixtureExpectation(line: line, column: column, fragment: String(text.dropFirst("warning: ".count)), isWarning: true)
        }
        return FixtureExpectation(line: line, column: column, fragment: text, isWarning: false)
    }
}
