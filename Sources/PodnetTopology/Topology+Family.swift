import PodnetAddress

/// The topology's values of one family, for renderers written once for both
/// (iptables and IPVS proxies, ...): the IPv4 field or its IPv6 counterpart
/// (docs/dual-stack.md), as an `IPAddress`/`IPPrefix`; nil where the cluster, the
/// service or the pod lacks the family.
extension Topology {
    public func clusterCIDR(_ family: AddressFamily) -> IPPrefix? {
        switch family {
        case .ipv4: return clusterCIDR.map { .v4($0) }
        case .ipv6: return ipv6.map { .v6($0.clusterCIDR) }
        }
    }

    public func serviceCIDR(_ family: AddressFamily) -> IPPrefix? {
        switch family {
        case .ipv4: return serviceCIDR.map { .v4($0) }
        case .ipv6: return ipv6?.serviceCIDR.map { .v6($0) }
        }
    }
}

extension Pod {
    public func ip(_ family: AddressFamily) -> IPAddress? {
        switch family {
        case .ipv4: return ip.map { .v4($0) }
        case .ipv6: return ipv6.map { .v6($0) }
        }
    }
}

extension Service {
    /// The service's ClusterIP of `family`, if it has that family.
    public func clusterIP(_ family: AddressFamily) -> IPAddress? {
        switch family {
        case .ipv4: return clusterIP.map { .v4($0) }
        case .ipv6: return clusterIPv6.map { .v6($0) }
        }
    }

    /// The service's external IPs of `family`.
    public func externalIPs(_ family: AddressFamily) -> [IPAddress] {
        externalIPs.filter { $0.family == family }
    }
}

extension Topology {
    /// The underlay network of `family`: the nodes' addresses are in it.
    public func underlayCIDR(_ family: AddressFamily) -> IPPrefix? {
        switch family {
        case .ipv4: return underlay.cidr.map { .v4($0) }
        case .ipv6: return ipv6?.underlayCIDR.map { .v6($0) }
        }
    }
}

extension Node {
    /// The node's underlay address of `family`; nil for IPv6 when the underlay has no
    /// IPv6 prefix (VXLAN then carries the IPv6 pods over IPv4).
    public func address(_ family: AddressFamily) -> IPAddress? {
        switch family {
        case .ipv4: return address.map { .v4($0) }
        case .ipv6: return addressV6.map { .v6($0) }
        }
    }

    /// The address the node's encapsulated packets and host uplink go by: its IPv4
    /// underlay address, or its IPv6 one on an IPv6-only underlay.
    public var underlayAddress: IPAddress? { address(.ipv4) ?? address(.ipv6) }

    public func podCIDR(_ family: AddressFamily) -> IPPrefix? {
        switch family {
        case .ipv4: return podCIDR.map { .v4($0) }
        case .ipv6: return podCIDRv6.map { .v6($0) }
        }
    }

    /// The bridge's address of `family`, the pods' default gateway: `.1` or `::1`.
    public func gateway(_ family: AddressFamily) -> IPAddress? {
        switch family {
        case .ipv4: return gateway.map { .v4($0) }
        case .ipv6: return gatewayV6.map { .v6($0) }
        }
    }
}

extension Client {
    /// The client's underlay address of `family`, if the underlay has that family.
    public func address(_ family: AddressFamily) -> IPAddress? {
        switch family {
        case .ipv4: return address.map { .v4($0) }
        case .ipv6: return addressV6.map { .v6($0) }
        }
    }
}
