import CYAML

/// Turns libyaml's event stream into a node tree. One instance per document load.
struct TreeBuilder {
    /// A sequence or mapping still being read. A class, so that appending to its
    /// items mutates in place: an enum frame popped and pushed back would copy its
    /// whole array on every append (quadratic on a 20,000-pod file).
    private final class OpenCollection {
        let isMapping: Bool
        let mark: SourceMark
        let anchor: String?
        var items: [YAMLNode] = []
        var entries: [YAMLMappingEntry] = []
        /// Keys and values arrive as alternate events; a key waits here for its value.
        var pendingKey: YAMLNode?
        /// Nodes in this collection, aliases expanded, for the alias bound.
        var size = 1
        /// Scalar keys seen so far and where, for the duplicate check.
        var keys: [String: SourceMark] = [:]

        init(isMapping: Bool, mark: SourceMark, anchor: String?) {
            self.isMapping = isMapping
            self.mark = mark
            self.anchor = anchor
        }
    }

    let aliasExpansionLimit: Int
    let depthLimit: Int
    private(set) var root: YAMLNode?
    private var stack: [OpenCollection] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
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
            try open(OpenCollection(isMapping: false, mark: mark, anchor: Self.optionalString(event.data.sequence_start.anchor)))
        case YAML_MAPPING_START_EVENT:
            try open(OpenCollection(isMapping: true, mark: mark, anchor: Self.optionalString(event.data.mapping_start.anchor)))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try close()
        default:
            break
        }
        return false
    }

    private mutating func open(_ collection: OpenCollection) throws(YAMLError) {
        guard stack.count < depthLimit else {
            throw YAMLError(mark: collection.mark, message: "the document nests deeper than \(depthLimit) levels")
        }
        stack.append(collection)
    }

    private mutating func close() throws(YAMLError) {
        guard let collection = stack.popLast() else { return }
        let node = collection.isMapping
            ? YAMLNode(.mapping(try Self.applyMergeKeys(collection.entries)), mark: collection.mark)
            : YAMLNode(.sequence(collection.items), mark: collection.mark)
        try add(node, size: collection.size, anchor: collection.anchor)
    }

    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?) throws(YAMLError) {
        if let anchor { anchors[anchor] = (node, size) }
        guard let top = stack.last else {
            root = node
            return
        }
        top.size += size
        if !top.isMapping {
            top.items.append(node)
        } else if let key = top.pendingKey {
            top.entries.append(YAMLMappingEntry(key: key, value: node))
            top.pendingKey = nil
        } else {
            try Self.checkDuplicate(key: node, in: top.keys)
            if let text = node.scalar?.text { top.keys[text] = node.mark }
            top.pendingKey = node
        }
    }

    private static func checkDuplicate(key: YAMLNode, in seen: [String: SourceMark]) throws(YAMLError) {
        guard let text = key.scalar?.text, text != "<<" else { return }
        if let first = seen[text] {
            throw YAMLError(mark: key.mark, message: "duplicate key '\(text)' (first given at line \(first.line)); a key may appear once in a mapping")
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
