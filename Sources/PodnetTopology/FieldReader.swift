import PodnetAddress
import PodnetYAML

/// Typed reads of YAML nodes. Each read either returns a value or logs one error
/// at the node and returns nil, so that one mistake is reported once and decoding
/// goes on to find the others.
struct FieldReader {
    let log: DiagnosticLog

    /// The entries of a mapping, keyed by their text. Unknown keys are errors with
    /// a suggestion; so are missing required ones.
    func mapping(_ node: YAMLNode, _ what: String, keys: [String], required: [String] = []) -> [String: YAMLNode]? {
        guard case .mapping(let entries) = node.content else {
            log.error(node.mark, "expected \(what) as a mapping, got \(node.kindDescription)")
            return nil
        }
        var fields: [String: YAMLNode] = [:]
        for entry in entries {
            guard let key = entry.key.scalar?.text else {
                log.error(entry.key.mark, "keys of \(what) must be plain words, not \(entry.key.kindDescription)")
                continue
            }
            guard keys.contains(key) else {
                let hint = Spelling.suggestion(for: key, among: keys).map { "; did you mean '\($0)'?" }
                    ?? "; expected one of: \(keys.joined(separator: ", "))"
                log.error(entry.key.mark, "unknown key '\(key)' in \(what)\(hint)")
                continue
            }
            // YAML's `key:` with nothing after it means "not set", as in Kubernetes.
            if case .scalar(let scalar) = entry.value.content, scalar.isNull { continue }
            fields[key] = entry.value
        }
        for key in required where fields[key] == nil {
            log.error(node.mark, "\(what) is missing the required key '\(key)'")
        }
        return fields
    }

    func sequence(_ node: YAMLNode, _ what: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.content else {
            log.error(node.mark, "expected \(what) as a list, got \(node.kindDescription)")
            return nil
        }
        return items
    }

    func string(_ node: YAMLNode, _ what: String) -> Located<String>? {
        guard let scalar = node.scalar else {
            log.error(node.mark, "expected \(what) as a string, got \(node.kindDescription)")
            return nil
        }
        switch scalar.resolved {
        case .string(let text):
            return Located(value: text, mark: node.mark)
        case let other:
            log.error(node.mark, "expected \(what) as a string, got \(other.kindDescription); write it in quotes: '\(scalar.text)'")
            return nil
        }
    }

    func int(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) -> Located<Int>? {
        guard let scalar = node.scalar else {
            log.error(node.mark, "expected \(what) as a number, got \(node.kindDescription)")
            return nil
        }
        switch scalar.resolved {
        case .int(let value):
            guard range.contains(value) else {
                log.error(node.mark, "\(what) \(value) is out of range; it must be between \(range.lowerBound) and \(range.upperBound)")
                return nil
            }
            return Located(value: value, mark: node.mark)
        case .string(let text) where Int(text) != nil:
            log.error(node.mark, "expected \(what) as a number, got the string '\(text)'; remove the quotes")
            return nil
        case let other:
            log.error(node.mark, "expected \(what) as a whole number, got \(other.kindDescription)")
            return nil
        }
    }

    func bool(_ node: YAMLNode, _ what: String) -> Located<Bool>? {
        if case .bool(let value) = node.scalar?.resolved { return Located(value: value, mark: node.mark) }
        var message = "expected \(what) as true or false, got \(node.kindDescription)"
        if let text = node.scalar?.text, ["yes", "no", "on", "off", "y", "n"].contains(text.lowercased()) {
            message += "; '\(text)' is a string in YAML 1.2: write \(["yes", "on", "y"].contains(text.lowercased()) ? "true" : "false")"
        }
        log.error(node.mark, message)
        return nil
    }

    func choice<Value: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ what: String, as: Value.Type) -> Located<Value>?
    where Value.RawValue == String {
        guard let text = string(node, what) else { return nil }
        if let value = Value(rawValue: text.value) { return Located(value: value, mark: node.mark) }
        let names = Value.allCases.map(\.rawValue)
        let hint = Spelling.suggestion(for: text.value, among: names).map { "; did you mean '\($0)'?" }
            ?? "; expected one of: \(names.joined(separator: ", "))"
        log.error(node.mark, "unknown \(what) '\(text.value)'\(hint)")
        return nil
    }

    /// A port range written `LOW-HIGH`, as kube-proxy's `--service-node-port-range`.
    func portRange(_ node: YAMLNode, _ what: String) -> Located<ClosedRange<Int>>? {
        guard let text = string(node, what) else { return nil }
        let bounds = text.value.split(separator: "-", omittingEmptySubsequences: false)
            .map { Int(String($0)) }
        guard bounds.count == 2, let low = bounds[0], let high = bounds[1] else {
            log.error(node.mark, "'\(text.value)' is not a port range (\(what)); write the lowest and highest port joined by '-', like '30000-32767'")
            return nil
        }
        guard (1...65535).contains(low), (1...65535).contains(high) else {
            log.error(node.mark, "\(what) \(text.value) is out of range; ports are between 1 and 65535")
            return nil
        }
        guard low <= high else {
            log.error(node.mark, "\(what) \(text.value) starts above its end; did you mean '\(high)-\(low)'?")
            return nil
        }
        return Located(value: low...high, mark: node.mark)
    }

    /// A plain IPv4 address; a prefix here is a mistake worth naming.
    func address(_ node: YAMLNode, _ what: String) -> Located<IPv4Address>? {
        guard let text = string(node, what) else { return nil }
        if let address = IPv4Address(text.value) { return Located(value: address, mark: node.mark) }
        if let prefix = IPv4Prefix(text.value) {
            log.error(node.mark, "\(what) must be a plain address, not a prefix; write '\(prefix.address)' without '/\(prefix.length)'")
        } else {
            log.error(node.mark, "'\(text.value)' is not an IPv4 address (\(what)); write four numbers 0-255 separated by dots, like 10.200.0.2")
        }
        return nil
    }

    /// A network prefix with its length and no host bits.
    func prefix(_ node: YAMLNode, _ what: String) -> Located<IPv4Prefix>? {
        guard let text = string(node, what) else { return nil }
        guard let prefix = IPv4Prefix(text.value) else {
            if IPv4Address(text.value) != nil {
                log.error(node.mark, "\(what) must be a prefix with a length, such as '\(text.value)/24'; got a plain address")
            } else {
                log.error(node.mark, "'\(text.value)' is not an IPv4 prefix (\(what)); write an address and a length, like 10.200.0.0/16")
            }
            return nil
        }
        guard prefix.isNetwork else {
            log.error(node.mark, "\(what) \(prefix) has host bits set; did you mean '\(prefix.network)'?")
            return nil
        }
        return Located(value: prefix, mark: node.mark)
    }

    /// A map of string to string (labels, selectors).
    func stringMap(_ node: YAMLNode, _ what: String) -> Located<[String: String]>? {
        guard case .mapping(let entries) = node.content else {
            log.error(node.mark, "expected \(what) as a mapping of names to values, got \(node.kindDescription)")
            return nil
        }
        var map: [String: String] = [:]
        var valid = true
        for entry in entries {
            guard let key = string(entry.key, "a key of \(what)"), let value = string(entry.value, "the value of '\(entry.key.scalar?.text ?? "")' in \(what)") else {
                valid = false
                continue
            }
            if let problem = Names.labelKeyProblem(key.value) {
                log.error(key.mark, "label key '\(key.value)' \(problem)")
                valid = false
            } else if let problem = Names.labelValueProblem(value.value) {
                log.error(value.mark, "label value '\(value.value)' \(problem)")
                valid = false
            }
            map[key.value] = value.value
        }
        return valid ? Located(value: map, mark: node.mark) : nil
    }
}
