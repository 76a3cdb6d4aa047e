import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// The ClusterIPs a live cluster uses in proxy mode nftables, for sticky allocation
/// (as `NFTablesLiveNodePorts` for NodePorts): each element of a node's `service-ips`
/// map is a ClusterIP, port and protocol going to the service chain of one service
/// port, whose name says which (`service-HASH-web/tcp/80`); a table rebuilt from its
/// record is not read, and the record's lines start with the ClusterIP. A service
/// without endpoints in a table that was read is neither (its element goes to the
/// reject chain): it is allocated again, from the file alone.
public enum NFTablesLiveClusterIPs {
    public static func clusterIPs(in live: KernelState, cluster: String) -> [String: IPv4Address] {
        clusterIPs(in: live, cluster: cluster, family: .ipv4).compactMapValues(\.ipv4)
    }

    /// The ClusterIPs of `family`, from the `ip` or the `ip6` table (only the `ip` one
    /// has a record).
    public static func clusterIPs(in live: KernelState, cluster: String, family: AddressFamily) -> [String: IPAddress] {
        var clusterIPs: [String: IPAddress] = [:]
        let table = NFTablesProxyNames.table(cluster: cluster)
        for (id, nft) in live.nftTables where id.name == table && id.family == NFTFamily(family) {
            for element in nft.sets[NFTablesProxyNames.serviceIPs]?.elements ?? [] {
                guard let clusterIP = element.key.first?.address, case .verdict(.goto(let chain))? = element.data,
                      let service = service(ofServiceChain: chain) else { continue }
                clusterIPs[service] = clusterIP
            }
        }
        for (id, record) in live.nftRecords where id.name == table && id.family == NFTFamily(family) {
            for (service, line) in record.services {
                guard let inputs = NFTablesProxyRenderer.inputs(ofLine: line, service: service) else { continue }
                clusterIPs[service] = inputs.clusterIP
            }
        }
        return clusterIPs
    }

    /// The service named by a service chain (`NFTablesProxyNames.serviceChain`): the
    /// name between the hash and the last two parts, protocol and port.
    static func service(ofServiceChain name: String) -> String? {
        let prefix = "service-"
        guard name.hasPrefix(prefix) else { return nil }
        let parts = name.dropFirst(prefix.count + 9).split(separator: "/")
        guard parts.count >= 3, Int(parts[parts.count - 1]) != nil else { return nil }
        return parts[0..<(parts.count - 2)].joined(separator: "/")
    }
}
