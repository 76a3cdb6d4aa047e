/// `podnet graph --live`: the differences `diff` finds, drawn on the picture.
extension ClusterGraph {
    /// One difference between the file and the kernel, about one kernel object.
    public struct Difference: Hashable, Sendable {
        public var mark: Mark
        public var object: KernelObject

        public init(_ mark: Mark, _ object: KernelObject) {
            self.mark = mark
            self.object = object
        }
    }

    /// The graph with each difference marked on the element that stands for its object;
    /// an object no element stands for marks its namespace's element changed, and an
    /// extra link or namespace is drawn as an element of its own. A mark once set is
    /// not weakened: missing and extra outrank changed.
    public func marking(_ differences: [Difference]) -> ClusterGraph {
        var graph = self
        for difference in differences {
            if let owner = owners[difference.object] {
                graph.mark(owner, difference.mark)
                continue
            }
            switch (difference.mark, difference.object) {
            case (.extra, .namespace(let name)):
                let id = "namespace:\(name)"
                graph.nodes.append(.init(id: id, kind: .namespace, label: ["netns \(name)"], kernelNames: [name], mark: .extra))
                graph.owners[difference.object] = .node(id)
            case (.extra, .link(let namespace, let name)):
                let id = "link:\(namespace)/\(name)"
                let holder = owners[.namespace(namespace)].flatMap { element -> Node? in
                    if case .node(let holder) = element { return graph.node(id: holder) } else { return nil }
                }
                graph.nodes.append(.init(id: id, kind: .link, label: [name, "in netns \(namespace)"], kernelNames: [name],
                                         group: holder?.group, mark: .extra))
                if let holder { graph.edges.append(.init(from: holder.id, to: id, kind: .holds, mark: .extra)) }
                graph.owners[difference.object] = .node(id)
            case (_, .link(let namespace, _)), (_, .route(let namespace, _)):
                if let owner = owners[.namespace(namespace)] { graph.mark(owner, .changed) }
            case (_, .namespace):
                break
            }
        }
        return graph
    }

    private mutating func mark(_ element: Element, _ mark: Mark) {
        func stronger(_ old: Mark?) -> Mark { old == nil || old == .changed ? mark : old! }
        switch element {
        case .node(let id):
            guard let index = nodes.firstIndex(where: { $0.id == id }) else { return }
            nodes[index].mark = stronger(nodes[index].mark)
        case .edge(let index):
            edges[index].mark = stronger(edges[index].mark)
        }
    }

    /// Whether anything is marked (then the formats draw a legend).
    public var hasMarks: Bool { nodes.contains { $0.mark != nil } || edges.contains { $0.mark != nil } }
}
