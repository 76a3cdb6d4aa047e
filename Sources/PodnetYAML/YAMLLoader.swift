import CYAML

/// Reads one YAML document into a `YAMLNode` tree over libyaml's event parser.
///
/// Beyond plain parsing it enforces what a configuration file needs: exactly one
/// document, no duplicate keys, YAML 1.1 merge keys (`<<: *defaults`) applied, and
/// aliases expanded within a bound, so that a "billion laughs" file fails at once
/// instead of exhausting memory.
public struct YAMLLoader: Sendable {
    /// The most nodes that aliases may add to the document, summed over every alias.
    public var aliasExpansionLimit: Int
    /// The deepest nesting accepted (libyaml itself recurses on nothing, but the
    /// stages after it do).
    public var depthLimit: Int

    public init(aliasExpansionLimit: Int = 100_000, depthLimit: Int = 200) {
        self.aliasExpansionLimit = aliasExpansionLimit
        self.depthLimit = depthLimit
    }

    /// Parses `text`. An empty document yields nil.
    public func load(_ text: String) throws(YAMLError) -> YAMLNode? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        bytes.append(0)
        var builder = TreeBuilder(aliasExpansionLimit: aliasExpansionLimit, depthLimit: depthLimit)
        let outcome: Result<YAMLNode?, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(YAMLError(mark: .start, message: "libyaml could not initialise its parser"))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count - 1)
            do throws(YAMLError) {
                while true {
                    var event = yaml_event_t()
                    guard yaml_parser_parse(&parser, &event) == 1 else {
                        return .failure(Self.parserError(parser, text: buffer))
                    }
                    defer { yaml_event_delete(&event) }
                    if try builder.consume(event) { break }
                }
                return .success(builder.root)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    private static func parserError(_ parser: yaml_parser_t, text: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        if parser.error == YAML_READER_ERROR {
            // Reader errors (bad UTF-8, control characters) carry a byte offset, not a mark.
            let mark = SourceMark(byteOffset: parser.problem_offset, in: text)
            if problem.contains("control characters") {
                let code = String(parser.problem_value, radix: 16, uppercase: true)
                return YAMLError(mark: mark, message: "a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)) is not allowed in YAML text; delete it (it may be invisible in your editor)")
            }
            return YAMLError(mark: mark, message: "the file is not valid UTF-8 text here (\(problem)); save it as UTF-8")
        }
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context) at line \(parser.context_mark.line + 1), column \(parser.context_mark.column + 1))"
        }
        return YAMLError(mark: SourceMark(parser.problem_mark), message: message)
    }
}

extension SourceMark {
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    /// The line and column (in Unicode scalars, as libyaml counts) of a byte offset.
    init(byteOffset: Int, in text: UnsafeBufferPointer<UInt8>) {
        var line = 1, column = 1
        for byte in text.prefix(min(byteOffset, text.count)) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {   // count lead bytes only, not UTF-8 continuation bytes
                column += 1
            }
        }
        self.init(line: line, column: column)
    }
}
