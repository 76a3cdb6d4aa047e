import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// The ClusterIPs a live cluster uses in proxy mode iptables, for sticky allocation
/// (as IPTablesProxyNodePorts for NodePorts): each service port has a rule in
/// KUBE-SERVICES matching its ClusterIP (`-d IP/32`, `-d IP/128` in ip6tables): in
/// nat, `… cluster IP`, where this node has an endpoint for ClusterIP traffic; in
/// filter, `… has no endpoints` (the reject) or `… has no local endpoints`
/// (internalTrafficPolicy Local's drop).
public enum IPTablesProxyClusterIPs {
    /// IPv4 ClusterIPs by service name.
    public static func read(from live: KernelState, cluster: String) -> [String: IPv4Address] {
        read(from: live, cluster: cluster, family: .ipv4).compactMapValues(\.ipv4)
    }

    /// ClusterIPs of `family` by service name, from that family's chains.
    public static func read(from live: KernelState, cluster: String, family: AddressFamily) -> [String: IPAddress] {
        var clusterIPs: [String: IPAddress] = [:]
        for chain in live.iptablesChains.values where chain.id.family == family && chain.id.name == IPTablesProxyNames.services {
            for rule in chain.rules {
                if let (service, address) = clusterIP(in: rule, cluster: cluster), address.family == family {
                    clusterIPs[service] = address
                }
            }
        }
        return clusterIPs
    }

    /// The service and ClusterIP of one KUBE-SERVICES rule, if it is one of `cluster`'s
    /// and matches a ClusterIP (an external IP's rule does not).
    static func clusterIP(in rule: String, cluster: String) -> (String, IPAddress)? {
        guard rule.hasPrefix("-d "), let comment = IPTablesRuleText.comment(of: rule),
              let (service, _, rest) = IPTablesProxyNames.servicePort(inComment: comment, cluster: cluster),
              rest == " cluster IP" || rest == " has no endpoints" || rest == " has no local endpoints" else { return nil }
        let destination = rule.dropFirst(3).prefix { $0 != " " }
        guard let prefix = IPPrefix(destination), prefix.length == prefix.family.addressBits else { return nil }
        return (service, prefix.address)
    }
}
