import PodnetAddress

/// The IPv6 side of a dual-stack cluster (TOPOLOGY.md, "Dual stack"): the IPv6
/// prefixes of `clusterCIDR`, `serviceCIDR` and `underlay.cidr`. The IPv4 ones stay
/// where they always were (`Topology.clusterCIDR`, ...), so that an IPv4-only
/// topology and everything that reads it are unchanged; docs/dual-stack.md.
public struct ClusterIPv6: Codable, Equatable, Sendable {
    public var clusterCIDR: IPv6Prefix
    public var serviceCIDR: IPv6Prefix?
    /// The nodes' IPv6 underlay network; nil when nodes have IPv4 addresses only
    /// (VXLAN then carries IPv6 pods over IPv4).
    public var underlayCIDR: IPv6Prefix?
    /// Whether IPv6 is the cluster's primary family: `clusterCIDR` lists it first.
    public var isPrimary: Bool

    public init(clusterCIDR: IPv6Prefix, serviceCIDR: IPv6Prefix? = nil, underlayCIDR: IPv6Prefix? = nil, isPrimary: Bool = false) {
        self.clusterCIDR = clusterCIDR
        self.serviceCIDR = serviceCIDR
        self.underlayCIDR = underlayCIDR
        self.isPrimary = isPrimary
    }
}

extension Topology {
    /// Whether any value is IPv6. Every IPv6 value needs the IPv6 clusterCIDR, so
    /// this is whether the cluster has one.
    public var usesIPv6: Bool { ipv6 != nil }

    /// Whether any value is IPv4: false in an IPv6-only cluster (no IPv4 clusterCIDR;
    /// its nodes may still have IPv4 underlay addresses).
    public var usesIPv4: Bool { clusterCIDR != nil }

    /// The cluster's families, primary first.
    public var families: [AddressFamily] {
        guard let ipv6 else { return [.ipv4] }
        guard usesIPv4 else { return [.ipv6] }
        return ipv6.isPrimary ? [.ipv6, .ipv4] : [.ipv4, .ipv6]
    }

    /// The primary family: the first of `families`.
    public var primaryFamily: AddressFamily { families[0] }

    /// The cluster's families, IPv4 first whichever is primary (a matrix per family,
    /// a table per family: their order is the reader's, not the file's).
    public var familiesIPv4First: [AddressFamily] { AddressFamily.allCases.filter(families.contains) }
}

extension Node {
    /// The pods' IPv6 gateway: `::1` of the IPv6 pod CIDR, held by the bridge, as
    /// `.1` is in IPv4.
    public var gatewayV6: IPv6Address? { podCIDRv6?.host(at: 0) }
}

extension Topology {
    /// `network.podMTU` for this cluster's underlay.
    public var podMTU: Int { network.podMTU(underlayIPv6Only: underlay.cidr == nil) }
}
