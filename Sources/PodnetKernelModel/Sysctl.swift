/// A value under /proc/sys/net of one namespace (`sysctl -w net.ipv4.ip_forward=1`).
public struct Sysctl: Hashable, Sendable, Codable {
    public struct ID: Hashable, Sendable, Comparable, Codable {
        public var namespace: NamespaceRef
        /// Dotted key, e.g. `net.ipv4.ip_forward`, or slashed where a component holds a
        /// dot (an interface name): `net/ipv4/conf/br.0/send_redirects`.
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

    /// A key under `net.ipv{4,6}.conf.IFNAME` or `neigh.IFNAME` other than `all` and
    /// `default`: it exists only while that interface does.
    public var isInterfaceSpecific: Bool { interface != nil }

    /// The interface an interface-specific key belongs to (it goes with it).
    public var interface: String? {
        let components = id.key.split(separator: id.key.contains("/") ? "/" : ".").map(String.init)
        guard components.count >= 4, components[0] == "net", ["conf", "neigh"].contains(components[2]),
              !["all", "default"].contains(components[3]) else { return nil }
        return components[3]
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
