/// A value under /proc/sys/net of one namespace (`sysctl -w net.ipv4.ip_forward=1`).
public struct Sysctl: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable {
        public var namespace: NamespaceRef
        /// Dotted key, e.g. `net.ipv4.ip_forward`.
        public var key: String

        public init(namespace: NamespaceRef, key: String) {
            self.namespace = namespace
            self.key = key
        }

        public static func < (lhs: ID, rhs: ID) -> Bool { (lhs.namespace, lhs.key) < (rhs.namespace, rhs.key) }
    }

    public var id: ID
    public var value: String

    public init(id: ID, value: String) {
        self.id = id
        self.value = value
    }
}

/// A network namespace podnet owns, marked through the alias of its `lo`.
public struct Namespace: Hashable, Sendable, Codable {
    public var name: String
    public var mark: OwnershipMark

    public init(name: String, mark: OwnershipMark) {
        self.name = name
        self.mark = mark
    }
}
