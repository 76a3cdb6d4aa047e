import PodnetAddress
import PodnetYAML

/// The IPv6 side of pod allocation: inside the node's IPv6 pod CIDR, written first,
/// then live (sticky), then the next free host after the gateway `::1`.
extension PodResolver {
    /// - Parameter clusterReadable: false when clusterCIDR could not be read (already
    ///   reported), so that a pod's IPv6 address is not blamed for it.
    func allocateIPv6(_ valid: [(spec: PodSpec, node: Node)], nodes: [ResolvedNode], clusterReadable: Bool) -> [String: IPv6Address] {
        var pools: [String: IPv6AddressPool] = [:]
        for node in nodes {
            guard let podCIDR = node.node.podCIDRv6, let gateway = node.node.gatewayV6 else { continue }
            // Host 0 is the gateway; it is never a pod's, bridge or not, as in IPv4.
            pools[node.node.name] = IPv6AddressPool(prefix: podCIDR, firstHost: 1, taken: [gateway])
        }
        var addresses: [String: IPv6Address] = [:]
        var owners: [IPv6Address: Located<String>] = [:]
        for (spec, node) in valid {
            guard let ip = spec.ipv6 else { continue }
            let name = spec.name!
            guard let podCIDR = node.podCIDRv6, let gateway = node.gatewayV6 else {
                if clusterReadable {
                    log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is IPv6, but clusterCIDR has no IPv6 prefix; add one, like 'clusterCIDR: [10.200.0.0/16, fd00:200::/48]', or remove the address")
                }
                continue
            }
            if !podCIDR.contains(ip.value) {
                log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is outside the IPv6 podCIDR \(podCIDR) of its node '\(node.name)'")
            } else if ip.value == podCIDR.first {
                log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is the subnet-router anycast address of podCIDR \(podCIDR) (its first address); use a host address such as \(gateway.adding(1)!)")
            } else if ip.value == gateway, node.bridge != nil {
                log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is the IPv6 gateway of node '\(node.name)' (its bridge \(node.bridge!) holds it); use another address")
            } else if let owner = owners[ip.value] {
                log.error(ip.mark, "pod address \(ip.value) is already the address of pod '\(owner.value)' (line \(owner.mark.line))")
            } else {
                owners[ip.value] = name
                pools[node.name]!.reserve(ip.value)
                addresses[name.value] = ip.value
            }
        }
        var pending: [(spec: PodSpec, node: Node)] = []
        for (spec, node) in valid where spec.ipv6 == nil && pools[node.name] != nil {
            let name = spec.name!.value
            if let ip = live.podIPsV6[name], pools[node.name]!.isHost(ip), !pools[node.name]!.isTaken(ip) {
                pools[node.name]!.reserve(ip)
                addresses[name] = ip
            } else {
                pending.append((spec, node))
            }
        }
        for (spec, node) in pending {
            guard let ip = pools[node.name]!.next() else {
                log.error(spec.mark, "no free IPv6 address left in the podCIDR \(node.podCIDRv6!) of node '\(node.name)' for pod '\(spec.name!.value)'")
                continue
            }
            addresses[spec.name!.value] = ip
        }
        return addresses
    }
}
