/// A scalar as written, and how YAML's core schema resolves it.
public struct YAMLScalar: Sendable, Equatable {
    public enum Style: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public var text: String
    public var style: Style
    /// The explicit tag, if any, in its expanded form (`tag:yaml.org,2002:str`).
    public var tag: String?

    public init(text: String, style: Style = .plain, tag: String? = nil) {
        self.text = text
        self.style = style
        self.tag = tag
    }

    /// The YAML 1.2 core-schema reading of the scalar. Only plain scalars resolve
    /// to non-strings; quoting always makes a string. YAML 1.1's `yes`/`no`/`on`/
    /// `off` stay strings (as in YAML 1.2), and the topology decoder names them.
    public var resolved: YAMLValue {
        if let tag {
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:int": return Self.integer(text).map(YAMLValue.int) ?? .string(text)
            case "tag:yaml.org,2002:bool": return Self.boolean(text).map(YAMLValue.bool) ?? .string(text)
            case "tag:yaml.org,2002:null": return .null
            default: break
            }
        }
        guard style == .plain else { return .string(text) }
        if isNullWord { return .null }
        if let bool = Self.boolean(text) { return .bool(bool) }
        // Numbers begin with a digit, a sign or a dot: a name ("node-0", "web"), most
        // of a topology's scalars, is a string without the number checks below.
        if let first = text.utf8.first, first | 0x20 >= UInt8(ascii: "a"), first | 0x20 <= UInt8(ascii: "z") {
            return .string(text)
        }
        if let int = Self.integer(text) { return .int(int) }
        if Self.isFloat(text) { return .float(text) }
        return .string(text)
    }

    /// Whether the scalar means "not set" (`key:` with nothing after it, `~`, `null`):
    /// `resolved == .null` without resolving the rest, for every key of every mapping.
    public var isNull: Bool {
        switch tag {
        case "tag:yaml.org,2002:null"?: return true
        case "tag:yaml.org,2002:str"?, "tag:yaml.org,2002:int"?, "tag:yaml.org,2002:bool"?: return false
        default: return style == .plain && isNullWord
        }
    }

    private var isNullWord: Bool {
        switch text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    static func boolean(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    static func integer(_ text: String) -> Int? {
        var body = Substring(text)
        var sign = 1
        if body.first == "+" || body.first == "-" {
            sign = body.first == "-" ? -1 : 1
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        if body.hasPrefix("0x") { return Int(body.dropFirst(2), radix: 16).map { $0 * sign } }
        if body.hasPrefix("0o") { return Int(body.dropFirst(2), radix: 8).map { $0 * sign } }
        guard body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(body).map { $0 * sign }
    }

    static func isFloat(_ text: String) -> Bool {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN": return true
        default: break
        }
        // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var chars = Substring(text)
        if chars.first == "+" || chars.first == "-" { chars = chars.dropFirst() }
        let mantissaEnd = chars.firstIndex(where: { $0 == "e" || $0 == "E" }) ?? chars.endIndex
        let mantissa = chars[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !mantissa.isEmpty, parts.count <= 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts.contains(where: { !$0.isEmpty }) else { return false }
        if mantissaEnd != chars.endIndex {
            var exponent = chars[chars.index(after: mantissaEnd)...]
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        }
        return parts.count == 2 || mantissaEnd != chars.endIndex
    }
}

/// A resolved scalar value.
public enum YAMLValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(String)
    case string(String)

    public var kindDescription: String {
        switch self {
        case .null: return "nothing (null)"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .float: return "a number"
        case .string: return "a string"
        }
    }
}
