/// `namespaces[]`: a Kubernetes namespace. It scopes pod and service labels, and
/// policies select namespaces by their labels.
public struct Namespace: Codable, Equatable, Sendable {
    public var name: String
    /// As declared, plus `kubernetes.io/metadata.name: NAME`, which Kubernetes sets on
    /// every namespace (so a policy can select a namespace by its name).
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels.merging([Namespace.nameLabel: name]) { _, name in name }
    }

    /// The label Kubernetes gives every namespace, holding its name.
    public static let nameLabel = "kubernetes.io/metadata.name"
    /// The namespace of pods, services and policies that name none; it exists
    /// whether declared or not.
    public static let defaultName = "default"
}

/// `pods[].ports[]`: a named container port, which a policy can name instead of a number.
public struct PodPort: Codable, Equatable, Hashable, Sendable {
    public var name: String
    public var port: Int
    public var `protocol`: PortProtocol

    public init(name: String, port: Int, protocol: PortProtocol = .tcp) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}

/// The protocols of Kubernetes' `ContainerPort` and `NetworkPolicyPort`.
public enum PortProtocol: String, Codable, CaseIterable, Sendable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"
}

extension Topology {
    /// The namespace's labels; an undeclared one (a topology built in code) carries
    /// only its name label, as Kubernetes' would.
    public func namespaceLabels(of name: String) -> [String: String] {
        namespaces.first { $0.name == name }?.labels ?? [Namespace.nameLabel: name]
    }
}
