import PodnetAddress
import PodnetYAML

/// The IPv6 side of node allocation, in the same order as IPv4's: written values,
/// then live ones (sticky), then the next free ones in declaration order.
extension NodeResolver {
    /// Every node's IPv6 pod CIDR is a /64: SLAAC needs a /64 per link (RFC 4862 with
    /// RFC 4291's 64-bit interface identifiers), and Kubernetes gives every node one
    /// (`--node-cidr-mask-size-ipv6` 64).
    static let ipv6PodPrefixLength = 64
    /// IPv6 node addresses start at the underlay's `::4`, as IPv4 ones at `.4`: host
    /// index 3, host 0 being `::1`.
    static let firstIPv6NodeHost: UInt64 = 3

    /// - Parameters:
    ///   - underlay: the IPv6 underlay; nil when it has none, and then no node has
    ///     an IPv6 address.
    ///   - reportsMissingFamily: whether an IPv6 value without the IPv6 prefix is
    ///     an error here; not after the prefixes themselves were misread (reported).
    func allocateIPv6Addresses(_ specs: [NodeSpec], underlay: IPv6Prefix?, held: Set<IPv6Address> = [],
                               reportsMissingFamily: Bool) -> [String: IPv6Address] {
        guard let underlay else {
            for spec in specs {
                guard let address = spec.addressV6, reportsMissingFamily else { continue }
                log.error(address.mark, "node '\(spec.name!.value)' address \(address.value) is IPv6, but underlay.cidr has no IPv6 prefix; add one, like 'cidr: [192.168.64.0/24, fd00:64::/64]' under underlay, or remove the address")
            }
            return [:]
        }
        var pool = IPv6AddressPool(prefix: underlay, firstHost: Self.firstIPv6NodeHost)
        let requests = specs.map { StickyAddressAllocation<IPv6AddressPool>.Request(name: $0.name!, written: $0.addressV6, mark: $0.mark) }
        return StickyAddressAllocation(log: log).allocate(requests, pool: &pool, live: live.nodeAddressesV6, held: held, problems: .init(
            refusal: { [pool] address, name in
                if !underlay.contains(address.value) {
                    return "node '\(name.value)' address \(address.value) is outside the IPv6 underlay.cidr \(underlay); set underlay.cidr to the network the nodes share"
                }
                if !pool.isHost(address.value) {
                    return "node '\(name.value)' address \(address.value) is the subnet-router anycast address of underlay.cidr \(underlay) (its first address); use a host such as \(underlay.host(at: Self.firstIPv6NodeHost).map { "\($0)" } ?? "another")"
                }
                return nil
            },
            taken: { address, owner, _ in "node address \(address) is already the address of node '\(owner.value)' (line \(owner.mark.line))" },
            exhausted: { name in "no free IPv6 address left in underlay.cidr \(underlay) for node '\(name)'; widen underlay.cidr or give the node an address" }))
    }

    /// - Parameter cluster: the IPv6 cluster CIDR; nil when the cluster has none, and
    ///   then no node has an IPv6 pod CIDR.
    func allocateIPv6PodCIDRs(_ specs: [NodeSpec], cluster: IPv6Prefix?, reportsMissingFamily: Bool) -> [String: IPv6Prefix] {
        guard let cluster else {
            for spec in specs {
                guard let podCIDR = spec.podCIDRv6, reportsMissingFamily else { continue }
                log.error(podCIDR.mark, "node '\(spec.name!.value)' podCIDR \(podCIDR.value) is IPv6, but clusterCIDR has no IPv6 prefix; add one, like 'clusterCIDR: [10.200.0.0/16, fd00:200::/48]', or remove it")
            }
            return [:]
        }
        let length = Self.ipv6PodPrefixLength
        var result: [String: IPv6Prefix] = [:]
        var owners: [(prefix: IPv6Prefix, name: Located<String>)] = []
        for spec in specs {
            guard let podCIDR = spec.podCIDRv6 else { continue }
            let name = spec.name!
            if !cluster.contains(podCIDR.value) {
                log.error(podCIDR.mark, "node '\(name.value)' podCIDR \(podCIDR.value) is not inside the IPv6 clusterCIDR \(cluster)")
            } else if podCIDR.value.length > length {
                log.error(podCIDR.mark, "node '\(name.value)' IPv6 podCIDR \(podCIDR.value) is longer than /64: SLAAC needs a /64 per link and Kubernetes gives each node a /64; use '\(IPv6Prefix(address: podCIDR.value.address, length: length).network)'")
            } else if let owner = owners.first(where: { $0.prefix.overlaps(podCIDR.value) }) {
                log.error(podCIDR.mark, "node '\(name.value)' podCIDR \(podCIDR.value) overlaps the podCIDR \(owner.prefix) of node '\(owner.name.value)' (line \(owner.name.mark.line))")
            } else {
                owners.append((podCIDR.value, name))
                result[name.value] = podCIDR.value
            }
        }
        allocateUnwritten(specs, writes: { $0.podCIDRv6 != nil }, cluster: cluster, length: length, longestLive: length,
                          live: live.podCIDRsV6, owners: owners.map(\.prefix), into: &result,
                          noRoom: { "node '\($0)' has no IPv6 podCIDR, and the IPv6 clusterCIDR \(cluster) is longer than the /64 every node needs; use a /64 or shorter clusterCIDR, such as \(IPv6Prefix(address: cluster.address, length: 48).network)" },
                          exhausted: { "no free /64 left in the IPv6 clusterCIDR \(cluster) for node '\($0)'; widen clusterCIDR or give the node a podCIDR" })
        return result
    }
}
