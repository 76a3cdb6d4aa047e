/// `ClusterGraph` → Graphviz DOT: each cluster node a box (`subgraph cluster_…`)
/// holding its bridge, tunnels and pods, the underlay, clients and services outside.
/// `dot -Tsvg` lays it out.
public enum GraphDOTRenderer {
    public static func render(_ graph: ClusterGraph) -> String {
        var lines = ["graph \(quoted(graph.cluster)) {",
                     "  graph [rankdir=TB, fontname=\"Helvetica\", label=\(quoted("cluster \(graph.cluster)")), labelloc=t];",
                     "  node [fontname=\"Helvetica\", fontsize=10];",
                     "  edge [fontname=\"Helvetica\", fontsize=9];"]
        let groups = graph.nodes.compactMap(\.group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (index, group) in groups.enumerated() {
            let title = graph.node(id: group)?.label.first ?? group
            lines.append("  subgraph \(quoted("cluster_\(index)")) {")
            lines.append("    label=\(quoted(title)); style=rounded; color=gray50;")
            for node in graph.nodes where node.group == group { lines.append("    " + statement(node)) }
            lines.append("  }")
        }
        for node in graph.nodes where node.group == nil { lines.append("  " + statement(node)) }
        if graph.hasMarks { lines += legend() }
        for edge in graph.edges {
            var attributes = style(edge.kind)
            let label = [edge.mark.map { "(\($0.rawValue))" }, edge.label].compactMap { $0 }.joined(separator: " ")
            if !label.isEmpty { attributes.append("label=\(quoted(label))") }
            if let mark = edge.mark { attributes += [markStyle(mark, filled: false), "penwidth=3"] }
            lines.append("  \(quoted(edge.from)) -- \(quoted(edge.to)) [\(attributes.joined(separator: ", "))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func statement(_ node: ClusterGraph.Node) -> String {
        let label = node.label + (node.mark.map { ["(\($0.rawValue))"] } ?? [])
        let marked = node.mark.map { ", " + markStyle($0, filled: true) + ", penwidth=3" } ?? ""
        return "\(quoted(node.id)) [label=\(quoted(label.joined(separator: "\n"))), \(shape(node.kind))\(marked)];"
    }

    /// The colours of `podnet diff`'s words: red missing, blue extra, orange changed;
    /// missing dashed too, for a picture printed without colour.
    private static func markStyle(_ mark: ClusterGraph.Mark, filled: Bool) -> String {
        let fill = filled ? "filled," : ""
        switch mark {
        case .missing: return "color=red, fontcolor=red, style=\"\(fill)dashed\"" + (filled ? ", fillcolor=\"#ffe0e0\"" : "")
        case .extra: return "color=\"#1f5fbf\", fontcolor=\"#1f5fbf\", style=\"\(fill)bold\"" + (filled ? ", fillcolor=\"#dceeff\"" : "")
        case .changed: return "color=\"#d98c00\", fontcolor=\"#a05a00\", style=\"\(fill)bold\"" + (filled ? ", fillcolor=\"#fff0cc\"" : "")
        }
    }

    private static func legend() -> [String] {
        var lines = ["  subgraph \"cluster_legend\" {", "    label=\"live differences (podnet diff)\"; style=rounded; color=gray50;"]
        let meaning: [ClusterGraph.Mark: String] = [.missing: "missing: the file wants it, the kernel lacks it",
                                                   .extra: "extra: in the kernel, not in the file",
                                                   .changed: "changed: in both, not alike"]
        for mark in ClusterGraph.Mark.allCases {
            lines.append("    \(quoted("legend:\(mark.rawValue)")) [label=\(quoted(meaning[mark]!)), shape=box, \(markStyle(mark, filled: true))];")
        }
        return lines + ["  }"]
    }

    private static func shape(_ kind: ClusterGraph.Node.Kind) -> String {
        switch kind {
        case .underlay: "shape=box, style=\"filled,bold\", fillcolor=\"#e8e8e8\""
        case .node: "shape=box3d, style=filled, fillcolor=\"#dbe9f6\""
        case .bridge: "shape=box, style=filled, fillcolor=\"#fde9c8\""
        case .tunnel: "shape=cds, style=filled, fillcolor=\"#e6d8f0\""
        case .pod: "shape=box, style=\"rounded,filled\", fillcolor=\"#d9f2d9\""
        case .client: "shape=house, style=filled, fillcolor=\"#f6dada\""
        case .service: "shape=ellipse, style=filled, fillcolor=\"#fff7b3\""
        case .link, .namespace: "shape=box, style=filled, fillcolor=white"
        }
    }

    private static func style(_ kind: ClusterGraph.Edge.Kind) -> [String] {
        switch kind {
        case .holds: ["style=dotted"]
        case .veth: ["penwidth=2"]
        case .placement: ["style=dotted"]
        case .route: ["style=dashed", "color=purple", "dir=forward", "constraint=false"]
        case .endpoint: ["color=darkgoldenrod", "dir=forward"]
        }
    }

    /// A DOT double-quoted string: `"` and `\` escaped (a lone backslash would start
    /// one of DOT's own escapes, `\N`, `\G`, `\l`), a line break as `\n` (centred line).
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": continue
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
