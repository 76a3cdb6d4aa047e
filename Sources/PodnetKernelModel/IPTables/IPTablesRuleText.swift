/// The text of an iptables rule as `iptables-save` prints it after `-A CHAIN `, and
/// the few things podnet reads out of it. podnet keeps rules as this text (not as
/// parsed matches) because iptables-save's form is canonical: what podnet renders in
/// that form reads back byte for byte, whichever backend (nft or legacy) is in use.
public enum IPTablesRuleText {
    /// A value as iptables-save prints an argument (libxtables' `xtables_save_string`):
    /// bare when it is a non-empty run of letters, digits, `_` and `-`; otherwise in
    /// double quotes, with `"`, `\` and `'` escaped by a backslash.
    public static func quoted(_ value: String) -> String {
        if !value.isEmpty && value.unicodeScalars.allSatisfy(isBare) { return value }
        var text = "\""
        for character in value {
            if character == "\"" || character == "\\" || character == "'" { text.append("\\") }
            text.append(character)
        }
        return text + "\""
    }

    private static func isBare(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": return true
        default: return false
        }
    }

    /// The words of a rule the way iptables-restore splits a line: at spaces, except
    /// inside double quotes, where a backslash escapes the next character.
    public static func words(_ rule: some StringProtocol) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quoted = false
        var escaped = false
        for character in rule {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted {
                if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    quoted = false
                } else {
                    current.append(character)
                }
            } else if character == " " || character == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                inWord = true
                if character == "\"" { quoted = true } else { current.append(character) }
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// The value of the rule's `--comment`, if it has one.
    public static func comment(of rule: some StringProtocol) -> String? {
        // Cheap test first: most rules of a large ruleset are read without splitting.
        guard rule.contains("--comment") else { return nil }
        let words = words(rule)
        guard let index = words.firstIndex(of: "--comment"), index + 1 < words.count else { return nil }
        return words[index + 1]
    }

    /// Where the rule jumps (`-j TARGET`) or goes (`-g CHAIN`): a chain or a target extension.
    public static func target(of rule: some StringProtocol) -> String? {
        // Fast path for iptables-save's form, where the target comes last and quotes
        // only in matches before it: the word after the last " -j " or " -g ".
        let bytes = Array(rule.utf8)
        if let at = lastJump(in: bytes), !bytes[at...].contains(UInt8(ascii: "\"")) {
            let start = at + 3
            let end = bytes[start...].firstIndex(of: UInt8(ascii: " ")) ?? bytes.endIndex
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        let words = words(rule)
        guard let index = words.lastIndex(where: { $0 == "-j" || $0 == "-g" }), index + 1 < words.count else { return nil }
        return words[index + 1]
    }

    /// Where "-j " or "-g " starts, at the start or after a space, last in the rule.
    private static func lastJump(in bytes: [UInt8]) -> Int? {
        var index = bytes.count - 3
        while index >= 0 {
            if bytes[index] == UInt8(ascii: "-"), bytes[index + 1] == UInt8(ascii: "j") || bytes[index + 1] == UInt8(ascii: "g"),
               bytes[index + 2] == UInt8(ascii: " "), index == 0 || bytes[index - 1] == UInt8(ascii: " ") {
                return index
            }
            index -= 1
        }
        return nil
    }
}
