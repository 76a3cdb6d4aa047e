import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// The addresses a live cluster already uses, read back from its kernel objects by
/// podnet's own naming, so that allocation keeps them (sticky allocation): a node's
/// address is on its `eth0`, its pod CIDR is the prefix of its bridge's address, a
/// pod's address is on its `eth0`, and so is a lab client's; NodePorts are in the
/// proxy's tables (nftables and iptables modes), and so are ClusterIPs (nftables
/// and iptables modes; IPv6 ones from ip6tables' rules).
public enum LiveAssignmentsReader {
    public static func assignments(in live: KernelState, cluster: String) -> LiveAssignments {
        var assignments = LiveAssignments()
        let prefix = cluster + "."
        for address in live.addresses {
            guard case .named(let namespace) = address.link.namespace, namespace.hasPrefix(prefix),
                  let mark = live.namespaces[namespace]?.mark else { continue }
            let member = String(namespace.dropFirst(prefix.count))
            let isEth0 = address.link.name == KernelNames.podInterface
            let role = mark.role.split(separator: "/").first
            switch (role, address.address) {
            case ("node", .v4(let prefix)) where isEth0:
                assignments.nodeAddresses[member] = prefix.address
            case ("node", .v6(let prefix)) where isEth0:
                assignments.nodeAddressesV6[member] = prefix.address
            case ("node", .v4(let prefix)):
                if live.links[address.link]?.kind == .bridge { assignments.podCIDRs[member] = prefix.network }
            case ("node", .v6(let prefix)):
                if live.links[address.link]?.kind == .bridge { assignments.podCIDRsV6[member] = prefix.network }
            case ("pod", .v4(let prefix)) where isEth0:
                assignments.podIPs[member] = prefix.address
            case ("pod", .v6(let prefix)) where isEth0:
                assignments.podIPsV6[member] = prefix.address
            case ("client", .v4(let prefix)) where address.link.name == KernelNames.clientInterface:
                assignments.clientAddresses[member] = prefix.address
            case ("client", .v6(let prefix)) where address.link.name == KernelNames.clientInterface:
                assignments.clientAddressesV6[member] = prefix.address
            default:
                break
            }
        }
        // Each proxy mode reads back its own NodePorts.
        assignments.nodePorts = NFTablesLiveNodePorts.nodePorts(in: live, cluster: cluster)
        assignments.nodePorts.merge(IPTablesProxyNodePorts.read(from: live, cluster: cluster)) { current, _ in current }
        // ClusterIPs: read back from the rules of proxy modes nftables and iptables.
        assignments.clusterIPs = NFTablesLiveClusterIPs.clusterIPs(in: live, cluster: cluster)
        assignments.clusterIPs.merge(IPTablesProxyClusterIPs.read(from: live, cluster: cluster)) { current, _ in current }
        // IPv6 ClusterIPs: from the ip6 table (nftables mode) and ip6tables' rules.
        assignments.clusterIPsV6 = NFTablesLiveClusterIPs.clusterIPs(in: live, cluster: cluster, family: .ipv6).compactMapValues(\.ipv6)
        assignments.clusterIPsV6.merge(IPTablesProxyClusterIPs.read(from: live, cluster: cluster, family: .ipv6).compactMapValues(\.ipv6)) { current, _ in current }
        return assignments
    }
}
