/// `ClusterGraph` → JSON: `{"cluster", "nodes": [{id, kind, label, kernelNames, group, mark}],
/// "edges": [{from, to, kind, label, kernelNames, mark}]}` (group, label and mark only when set), keys in a fixed order. Written by
/// hand: the pure core does without Foundation.
public enum GraphJSONRenderer {
    public static func render(_ graph: ClusterGraph) -> String {
        var lines = ["{", "  \"cluster\": \(string(graph.cluster)),", "  \"nodes\": ["]
        lines += graph.nodes.enumerated().map { index, node in
            var fields = ["\"id\": \(string(node.id))", "\"kind\": \(string(node.kind.rawValue))",
                          "\"label\": \(array(node.label))", "\"kernelNames\": \(array(node.kernelNames))"]
            if let group = node.group { fields.append("\"group\": \(string(group))") }
            if let mark = node.mark { fields.append("\"mark\": \(string(mark.rawValue))") }
            return "    {" + fields.joined(separator: ", ") + "}" + (index == graph.nodes.count - 1 ? "" : ",")
        }
        lines += ["  ],", "  \"edges\": ["]
        lines += graph.edges.enumerated().map { index, edge in
            var fields = ["\"from\": \(string(edge.from))", "\"to\": \(string(edge.to))", "\"kind\": \(string(edge.kind.rawValue))"]
            if let label = edge.label { fields.append("\"label\": \(string(label))") }
            fields.append("\"kernelNames\": \(array(edge.kernelNames))")
            if let mark = edge.mark { fields.append("\"mark\": \(string(mark.rawValue))") }
            return "    {" + fields.joined(separator: ", ") + "}" + (index == graph.edges.count - 1 ? "" : ",")
        }
        lines += ["  ]", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func array(_ items: [String]) -> String { "[" + items.map(string).joined(separator: ", ") + "]" }

    /// A JSON string (RFC 8259 §7): `"` and `\` escaped, control characters as `\uXXXX`.
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
