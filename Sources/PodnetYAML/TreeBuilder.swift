import CYAML

/// Turns libyaml's event stream into a node tree. One instance per document load.
struct TreeBuilder {
    private enum Frame {
        case sequence(mark: SourceMark, anchor: String?, items: [YAMLNode])
        /// Keys and values arrive as alternate events; `pendingKey` holds a key
        /// until its value has been read.
        case mapping(mark: SourceMark, anchor: String?, entries: [YAMLMappingEntry], pendingKey: YAMLNode?)
    }

    let aliasExpansionLimit: Int
    let depthLimit: Int
    private(set) var root: YAMLNode?
    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var sizes: [Int] = []        // node count of each open collection
    private var expandedByAliases = 0
    private var documents = 0

    init(aliasExpansionLimit: Int, depthLimit: Int) {
        self.aliasExpansionLimit = aliasExpansionLimit
        self.depthLimit = depthLimit
    }

    /// Handles one event; returns true at the end of the stream.
    mutating func consume(_ event: yaml_event_t) throws(YAMLError) -> Bool {
        let mark = SourceMark(event.start_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLError(mark: mark, message: "a topology file holds one YAML document, but a second one starts here; put each cluster in a file of its own")
            }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = Self.string(data.value, length: data.length)
            let scalar = YAMLScalar(text: text, style: Self.style(data.style), tag: Self.optionalString(data.tag))
            try add(YAMLNode(.scalar(scalar), mark: mark), size: 1, anchor: Self.optionalString(data.anchor))
        case YAML_ALIAS_EVENT:
            let name = Self.optionalString(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLError(mark: mark, message: "unknown alias '*\(name)': no anchor '&\(name)' is defined before it")
            }
            expandedByAliases += target.size
            if expandedByAliases > aliasExpansionLimit {
                throw YAMLError(mark: mark, message: "YAML aliases expand to more than \(aliasExpansionLimit) nodes (an alias bomb?); write the values out instead of nesting aliases")
            }
            var node = target.node
            node.mark = mark
            try add(node, size: target.size, anchor: nil)
        case YAML_SEQUENCE_START_EVENT:
            try open(.sequence(mark: mark, anchor: Self.optionalString(event.data.sequence_start.anchor), items: []), at: mark)
        case YAML_MAPPING_START_EVENT:
            try open(.mapping(mark: mark, anchor: Self.optionalString(event.data.mapping_start.anchor), entries: [], pendingKey: nil), at: mark)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try close()
        default:
            break
        }
        return false
    }

    private mutating func open(_ frame: Frame, at mark: SourceMark) throws(YAMLError) {
        guard stack.count < depthLimit else {
            throw YAMLError(mark: mark, message: "the document nests deeper than \(depthLimit) levels")
        }
        stack.append(frame)
        sizes.append(1)
    }

    private mutating func close() throws(YAMLError) {
        guard let frame = stack.popLast(), let size = sizes.popLast() else { return }
        switch frame {
        case .sequence(let mark, let anchor, let items):
            try add(YAMLNode(.sequence(items), mark: mark), size: size, anchor: anchor)
        case .mapping(let mark, let anchor, let entries, _):
            let merged = try Self.applyMergeKeys(entries)
            try add(YAMLNode(.mapping(merged), mark: mark), size: size, anchor: anchor)
        }
    }

    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?) throws(YAMLError) {
        if let anchor { anchors[anchor] = (node, size) }
        guard var top = stack.popLast() else {
            root = node
            return
        }
        sizes[sizes.count - 1] += size
        switch top {
        case .sequence(let mark, let anchor, var items):
            items.append(node)
            top = .sequence(mark: mark, anchor: anchor, items: items)
        case .mapping(let mark, let anchor, var entries, let pendingKey):
            if let key = pendingKey {
                entries.append(YAMLMappingEntry(key: key, value: node))
                top = .mapping(mark: mark, anchor: anchor, entries: entries, pendingKey: nil)
            } else {
                try Self.checkDuplicate(key: node, in: entries)
                top = .mapping(mark: mark, anchor: anchor, entries: entries, pendingKey: node)
            }
        }
        stack.append(top)
    }

    private static func checkDuplicate(key: YAMLNode, in entries: [YAMLMappingEntry]) throws(YAMLError) {
        guard let text = key.scalar?.text, text != "<<" else { return }
        if let first = entries.first(where: { $0.key.scalar?.text == text }) {
            throw YAMLError(mark: key.mark, message: "duplicate key '\(text)' (first given at line \(first.key.mark.line)); a key may appear once in a mapping")
        }
    }

    /// YAML 1.1 merge keys: `<<: *base` or `<<: [*a, *b]` copies the entries of the
    /// named mappings that the mapping does not set itself.
    private static func applyMergeKeys(_ entries: [YAMLMappingEntry]) throws(YAMLError) -> [YAMLMappingEntry] {
        guard entries.contains(where: { isMergeKey($0.key) }) else { return entries }
        var result = entries.filter { !isMergeKey($0.key) }
        var present = Set(result.compactMap { $0.key.scalar?.text })
        for entry in entries where isMergeKey(entry.key) {
            let sources: [YAMLNode]
            switch entry.value.content {
            case .mapping: sources = [entry.value]
            case .sequence(let items): sources = items
            case .scalar:
                throw YAMLError(mark: entry.value.mark, message: "a merge key '<<' takes a mapping or a list of mappings, not a scalar")
            }
            for source in sources {
                guard case .mapping(let inherited) = source.content else {
                    throw YAMLError(mark: source.mark, message: "a merge key '<<' takes a mapping or a list of mappings")
                }
                for item in inherited {
                    guard let key = item.key.scalar?.text, !present.contains(key) else { continue }
                    present.insert(key)
                    result.append(item)
                }
            }
        }
        return result
    }

    private static func isMergeKey(_ node: YAMLNode) -> Bool {
        guard let scalar = node.scalar else { return false }
        return scalar.text == "<<" && scalar.style == .plain
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private static func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }
}
