/// Bytes written as hex for tests: pairs of hex digits separated by whitespace, with
/// `#` starting a comment that runs to the end of the line, so expected messages can
/// be laid out field by field.
func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for token in code.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            precondition(token.count == 2, "hex token '\(token)' is not one byte")
            bytes.append(UInt8(token, radix: 16)!)
        }
    }
    return bytes
}

/// Hex text of bytes, 16 per line, for readable failure messages.
func hexDump(_ bytes: some Collection<UInt8>) -> String {
    var lines: [String] = []
    var line: [String] = []
    for byte in bytes {
        line.append(byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16))
        if line.count == 16 {
            lines.append(line.joined(separator: " "))
            line.removeAll()
        }
    }
    if !line.isEmpty { lines.append(line.joined(separator: " ")) }
    return lines.joined(separator: "\n")
}

import Testing

/// Compares bytes, showing both as hex when they differ.
func expectBytes(_ actual: [UInt8], _ expected: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual == expected, "got:\n\(hexDump(actual))\nexpected:\n\(hexDump(expected))",
            sourceLocation: sourceLocation)
}
