/// The cluster as a picture, before any format: the objects a student would point
/// at (underlay, nodes, bridges, tunnels, pods, clients, services) and what joins
/// them (veth pairs, routes between nodes, service endpoints). Every format (DOT,
/// Mermaid, JSON) renders this one value, so they never disagree on what is drawn.
public struct ClusterGraph: Equatable, Sendable {
    public var cluster: String
    public var nodes: [Node]
    public var edges: [Edge]
    /// Which drawn element stands for a kernel object, for marking live differences
    /// (`marking(_:)`); filled by the builder.
    public var owners: [KernelObject: Element] = [:]

    public init(cluster: String, nodes: [Node] = [], edges: [Edge] = []) {
        self.cluster = cluster
        self.nodes = nodes
        self.edges = edges
    }

    /// How the live kernel differs from the file for a drawn element, as `diff` says it.
    public enum Mark: String, CaseIterable, Sendable {
        /// The file wants it; the kernel lacks it.
        case missing
        /// The kernel has it; the file does not want it.
        case extra
        /// Both have it, but not alike (or something it holds differs).
        case changed
    }

    /// A kernel object, by identity: a namespace, or a link or route in one.
    public enum KernelObject: Hashable, Sendable {
        case namespace(String)
        case link(namespace: String, name: String)
        case route(namespace: String, destination: String)
    }

    /// A node (by id) or an edge (by index in `edges`).
    public enum Element: Hashable, Sendable {
        case node(String)
        case edge(Int)
    }

    /// One drawn object.
    public struct Node: Equatable, Sendable {
        public enum Kind: String, CaseIterable, Sendable {
            case underlay, node, bridge, tunnel, pod, client, service
            /// Live only: a link or namespace of the cluster the file does not describe.
            case link, namespace
        }

        /// Unique in the graph, e.g. `pod:a0`, `bridge:node-0/cni0`.
        public var id: String
        public var kind: Kind
        /// Lines for people: the name first, then addresses and the like.
        public var label: [String]
        /// The names the kernel knows it by (namespace, interfaces), for `ip -n`.
        public var kernelNames: [String]
        /// The id of the cluster node this object lives on (drawn inside it), if any.
        public var group: String?
        public var mark: Mark?

        public init(id: String, kind: Kind, label: [String], kernelNames: [String] = [], group: String? = nil, mark: Mark? = nil) {
            self.id = id
            self.kind = kind
            self.label = label
            self.kernelNames = kernelNames
            self.group = group
            self.mark = mark
        }
    }

    /// What joins two objects.
    public struct Edge: Equatable, Sendable {
        public enum Kind: String, CaseIterable, Sendable {
            /// A node holds its bridge or tunnel device.
            case holds
            /// A veth pair: a pod to its bridge, a node or client to the underlay, or two pods.
            case veth
            /// A pod of a bridge-less node with no link: it lives there, joined to nothing.
            case placement
            /// A node's route to another node's pod subnet.
            case route
            /// A service forwards to this pod.
            case endpoint
        }

        public var from: String
        public var to: String
        public var kind: Kind
        public var label: String?
        public var kernelNames: [String]
        public var mark: Mark?

        public init(from: String, to: String, kind: Kind, label: String? = nil, kernelNames: [String] = [], mark: Mark? = nil) {
            self.from = from
            self.to = to
            self.kind = kind
            self.label = label
            self.kernelNames = kernelNames
            self.mark = mark
        }
    }

    public func node(id: String) -> Node? { nodes.first { $0.id == id } }
}
