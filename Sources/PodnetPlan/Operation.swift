import PodnetAddress
import PodnetKernelModel

/// One change to the kernel, in iproute2's vocabulary.
public enum Operation: Hashable, Sendable {
    case addNamespace(Namespace)
    case deleteNamespace(String)
    /// Creates a link as described; for a veth, `peer` is the other end, born
    /// directly in its own namespace.
    case addLink(Link, peer: Link?)
    /// Brings an existing link's attributes (up, MTU, master, hairpin, alias,
    /// alternative names) to `link`'s; `current` is what the kernel has, nil for a
    /// new namespace's `lo`.
    case setLink(Link, current: Link?)
    case deleteLink(Link.ID)
    case addAddress(Address)
    case deleteAddress(Address)
    case addRoute(Route)
    case replaceRoute(Route)
    case deleteRoute(Route)
    case addNeighbour(Neighbour)
    case replaceNeighbour(Neighbour)
    case deleteNeighbour(Neighbour)
    case addFDB(FDBEntry.ID)
    case deleteFDB(FDBEntry.ID)
    case setSysctl(Sysctl)
    /// One change to the service proxy's nf_tables table; a namespace's changes of one
    /// plan go to the kernel as one atomic transaction, in plan order.
    case nftables(NFTablesChange)
    /// One change to podnet's iptables of a family in a namespace (iptables proxy
    /// mode); a namespace's changes of one family and plan go to the kernel as one
    /// iptables-restore (ip6tables-restore) transaction, in plan order.
    case iptables(IPTablesChange, namespace: NamespaceRef, family: AddressFamily = .ipv4)
    /// One change to an IPVS virtual server or real server (ipvs proxy mode); a
    /// namespace's changes of one plan go to the kernel as one pipelined batch.
    case ipvs(IPVSChange)

    /// The namespace the operation acts in (for `ip -n`, and for grouping work).
    public var namespace: NamespaceRef {
        switch self {
        case .addNamespace(let namespace): return .named(namespace.name)
        case .deleteNamespace(let name): return .named(name)
        case .addLink(let link, _), .setLink(let link, _): return link.id.namespace
        case .deleteLink(let id): return id.namespace
        case .addAddress(let address), .deleteAddress(let address): return address.link.namespace
        case .addRoute(let route), .replaceRoute(let route), .deleteRoute(let route): return route.id.namespace
        case .addNeighbour(let neighbour), .replaceNeighbour(let neighbour), .deleteNeighbour(let neighbour): return neighbour.id.link.namespace
        case .addFDB(let entry), .deleteFDB(let entry): return entry.link.namespace
        case .setSysctl(let sysctl): return sysctl.id.namespace
        case .nftables(let change): return change.table.namespace
        case .iptables(_, let namespace, _): return namespace
        case .ipvs(let change): return change.service.namespace
        }
    }

    public var isDeletion: Bool {
        switch self {
        case .deleteNamespace, .deleteLink, .deleteAddress, .deleteRoute, .deleteNeighbour, .deleteFDB: return true
        case .nftables(let change): return change.isDeletion
        case .iptables(.deleteChain, _, _), .iptables(.deleteRule, _, _): return true
        case .ipvs(let change): return change.isDeletion
        default: return false
        }
    }
}

/// An operation and why the plan holds it ("missing", "mtu 1500 → 1450", …).
public struct PlannedOperation: Hashable, Sendable {
    public var operation: Operation
    public var reason: String

    public init(_ operation: Operation, reason: String) {
        self.operation = operation
        self.reason = reason
    }
}

/// Ordered operations that make the live kernel equal to the desired state.
public struct Plan: Sendable, Equatable {
    public var operations: [PlannedOperation]

    public init(operations: [PlannedOperation] = []) { self.operations = operations }

    public var isEmpty: Bool { operations.isEmpty }

    public struct Summary: Equatable, Sendable, Codable {
        public var create: Int
        public var update: Int
        public var delete: Int

        public init(create: Int = 0, update: Int = 0, delete: Int = 0) {
            self.create = create
            self.update = update
            self.delete = delete
        }
    }

    public var summary: Summary {
        var summary = Summary()
        for planned in operations {
            switch planned.operation {
            case .setLink, .replaceRoute, .replaceNeighbour, .setSysctl: summary.update += 1
            // Flushing a chain to refill it changes the chain; it deletes nothing it keeps.
            case .nftables(.flushChain), .iptables(.replaceChain, _, _), .ipvs(.editService), .ipvs(.editDestination): summary.update += 1
            case _ where planned.operation.isDeletion: summary.delete += 1
            default: summary.create += 1
            }
        }
        return summary
    }
}
