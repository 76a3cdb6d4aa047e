import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Who connects in a service check: a pod, from inside the cluster, or a lab
/// client (`clients[]`), from outside it.
public struct ProbeSource: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case pod
        case client
    }

    public let name: String
    /// The source's IPv4 address; nil for a pod of an IPv6-only cluster.
    public let address: IPv4Address?
    /// The source's IPv6 address, in a dual-stack cluster (a client's on a dual-stack underlay).
    public let addressV6: IPv6Address?
    public let kind: Kind
    /// A pod's node; nil for a client.
    public let node: String?

    public init(name: String, address: IPv4Address?, kind: Kind, node: String?, addressV6: IPv6Address? = nil) {
        self.name = name
        self.address = address
        self.addressV6 = addressV6
        self.kind = kind
        self.node = node
    }

    /// The address it connects from to a target of `family`.
    public func address(_ family: AddressFamily) -> IPAddress? {
        family == .ipv4 ? address.map(IPAddress.v4) : addressV6.map(IPAddress.v6)
    }
}

/// The source address an endpoint must see a connection come from, which tells a
/// masqueraded connection from one whose client address was kept.
public enum SourceExpectation: Hashable, Sendable {
    /// Masqueraded by the node the traffic arrived at (`externalTrafficPolicy:
    /// Cluster`): any address of that node, since masquerade takes the address of
    /// whichever interface leads to the endpoint (eth0, the bridge, the tunnel).
    case node(String)
    /// Kept: the sender's own address (`Local`, from outside the cluster).
    case sender
    /// A pod's traffic that its node short-circuits to any endpoint without
    /// masquerade (kube-proxy's rule for pods under `Local`): the pod's address,
    /// except when the pod answers itself, which the node masquerades (hairpin).
    case senderUnlessHairpin(node: String)
}

/// Every address each node holds in a rendered (desired) state, of both families:
/// what a node's masquerade may choose as the source of a connection it forwards
/// (the target's family's).
public enum NodeAddresses {
    public static func of(_ state: KernelState, topology: Topology) -> [String: [IPAddress]] {
        var byNamespace: [String: String] = [:]
        for node in topology.nodes { byNamespace[KernelNames.namespace(cluster: topology.name, member: node.name)] = node.name }
        var addresses: [String: Set<IPAddress>] = [:]
        for address in state.addresses where address.link.name != "lo" {
            guard case .named(let namespace) = address.link.namespace, let node = byNamespace[namespace] else { continue }
            addresses[node, default: []].insert(address.address.address)
        }
        return addresses.mapValues { $0.sorted() }
    }
}
