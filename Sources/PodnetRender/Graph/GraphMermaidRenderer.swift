/// `ClusterGraph` → a Mermaid flowchart, for GitHub READMEs (```mermaid blocks).
/// Mermaid's ids must be plain words, so objects are `n0`, `n1`… with the real id
/// kept in a comment beside each.
public enum GraphMermaidRenderer {
    public static func render(_ graph: ClusterGraph) -> String {
        var identifiers: [String: String] = [:]
        for (index, node) in graph.nodes.enumerated() { identifiers[node.id] = "n\(index)" }
        var lines = ["flowchart TB"]
        let groups = graph.nodes.compactMap(\.group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (index, group) in groups.enumerated() {
            let title = graph.node(id: group)?.label.first ?? group
            lines.append("  subgraph g\(index)[\"\(escaped(title))\"]")
            for node in graph.nodes where node.group == group { lines += statement(node, identifiers).map { "    " + $0 } }
            lines.append("  end")
        }
        for node in graph.nodes where node.group == nil { lines += statement(node, identifiers).map { "  " + $0 } }
        for edge in graph.edges {
            guard let from = identifiers[edge.from], let to = identifiers[edge.to] else { continue }
            let arrow: String = switch edge.kind {
            case .holds, .placement: "-.-"
            case .veth: "==="
            case .route: "-.->"
            case .endpoint: "-->"
            }
            let text = [edge.mark.map { "(\($0.rawValue))" }, edge.label].compactMap { $0 }.joined(separator: " ")
            let label = text.isEmpty ? "" : "|\"\(escaped(text))\"|"
            lines.append("  \(from) \(arrow)\(label) \(to)")
        }
        for kind in ClusterGraph.Node.Kind.allCases {
            let members = graph.nodes.filter { $0.kind == kind }.compactMap { identifiers[$0.id] }
            guard !members.isEmpty else { continue }
            // Prefixed: Mermaid gives every node the CSS class `node` already.
            lines.append("  classDef podnet_\(kind.rawValue) \(style(kind))")
            lines.append("  class \(members.joined(separator: ",")) podnet_\(kind.rawValue)")
        }
        // Marks after kinds: Mermaid applies the last class given.
        for mark in ClusterGraph.Mark.allCases {
            let members = graph.nodes.filter { $0.mark == mark }.compactMap { identifiers[$0.id] }
            guard !members.isEmpty else { continue }
            lines.append("  classDef podnet_\(mark.rawValue) \(markStyle(mark))")
            lines.append("  class \(members.joined(separator: ",")) podnet_\(mark.rawValue)")
        }
        for (index, edge) in graph.edges.enumerated() {
            if let mark = edge.mark { lines.append("  linkStyle \(index) \(markStyle(mark))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func markStyle(_ mark: ClusterGraph.Mark) -> String {
        switch mark {
        case .missing: "stroke:red,stroke-width:3px,stroke-dasharray:5 5"
        case .extra: "stroke:#1f5fbf,stroke-width:3px"
        case .changed: "stroke:#d98c00,stroke-width:3px"
        }
    }

    /// The node's real id as a comment (Mermaid reads `%%` only at the start of a line), then the node.
    private static func statement(_ node: ClusterGraph.Node, _ identifiers: [String: String]) -> [String] {
        let text = (node.label + (node.mark.map { ["(\($0.rawValue))"] } ?? [])).map(escaped).joined(separator: "<br/>")
        let id = identifiers[node.id]!
        let shaped: String = switch node.kind {
        case .service: "\(id)([\"\(text)\"])"
        case .tunnel: "\(id)[/\"\(text)\"/]"
        case .client: "\(id)[[\"\(text)\"]]"
        default: "\(id)[\"\(text)\"]"
        }
        return ["%% \(node.id)", shaped]
    }

    private static func style(_ kind: ClusterGraph.Node.Kind) -> String {
        switch kind {
        case .underlay: "fill:#e8e8e8,stroke:#555"
        case .node: "fill:#dbe9f6,stroke:#36c"
        case .bridge: "fill:#fde9c8,stroke:#c80"
        case .tunnel: "fill:#e6d8f0,stroke:#739"
        case .pod: "fill:#d9f2d9,stroke:#393"
        case .client: "fill:#f6dada,stroke:#933"
        case .service: "fill:#fff7b3,stroke:#aa0"
        case .link, .namespace: "fill:#fff,stroke:#333"
        }
    }

    /// Text inside a quoted Mermaid label: Mermaid reads `#name;` entity codes, and
    /// labels are HTML, so `"`, `<`, `>`, `&` and `#` itself become entities; a line
    /// break becomes `<br/>`.
    public static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"": out += "#quot;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "&": out += "#amp;"
            case "#": out += "#35;"
            case "|": out += "#124;"
            case "\n": out += "<br/>"
            case "\r": continue
            default: out.append(character)
            }
        }
        return out
    }
}
