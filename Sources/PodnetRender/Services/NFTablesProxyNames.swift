import PodnetAddress
import PodnetTopology

/// Names inside podnet's nftables table, laid out as kube-proxy's nftables mode lays
/// out its own: fixed names for the skeleton, and per service port and endpoint
/// `service-HASH-NAME/PROTO/PORT` and `endpoint-HASH-NAME/PROTO/PORT__IP/PORT`,
/// whose hash prefix keeps look-alike names apart at a glance.
public enum NFTablesProxyNames {
    public static func table(cluster: String) -> String { "podnet-\(cluster)" }

    // Base chains, named after their type and hook as kube-proxy does.
    public static let natPrerouting = "nat-prerouting"
    public static let natOutput = "nat-output"
    public static let natPostrouting = "nat-postrouting"
    public static let filterPreroutingPostDNAT = "filter-prerouting-post-dnat"
    public static let filterOutputPostDNAT = "filter-output-post-dnat"

    // Regular chains.
    public static let services = "services"
    public static let endpointsCheck = "endpoints-check"
    public static let clusterIPsCheck = "cluster-ips-check"
    public static let reject = "reject-chain"
    public static let markForMasquerade = "mark-for-masquerade"
    public static let masquerading = "masquerading"
    public static let podEgress = "pod-egress"

    // Sets and maps.
    public static let serviceIPs = "service-ips"
    public static let noEndpointServices = "no-endpoint-services"
    public static let clusterIPs = "cluster-ips"
    public static let serviceNodePorts = "service-nodeports"
    public static let noEndpointNodePorts = "no-endpoint-nodeports"

    /// `service-HASH-kube-svc-1/tcp/8080`.
    public static func serviceChain(service: String, port: ServicePort) -> String {
        let base = "\(service)/\(port.protocol.rawValue.lowercased())/\(port.port)"
        return "service-\(hash(base))-\(base)"
    }

    /// `external-HASH-web/tcp/80`: NodePort and external-IP traffic, before the
    /// traffic policy chooses the cluster-wide or the node-local chain.
    public static func externalChain(service: String, port: ServicePort) -> String {
        let base = "\(service)/\(port.protocol.rawValue.lowercased())/\(port.port)"
        return "external-\(hash(base))-\(base)"
    }

    /// `local-HASH-web/tcp/80`: only this node's endpoints (a `Local` traffic policy).
    public static func localChain(service: String, port: ServicePort) -> String {
        let base = "\(service)/\(port.protocol.rawValue.lowercased())/\(port.port)"
        return "local-\(hash(base))-\(base)"
    }

    /// `affinity-HASH-web/tcp/80__10.200.0.2/8080`: the clients an endpoint keeps
    /// (`sessionAffinity: ClientIP`).
    public static func affinitySet(service: String, port: ServicePort, endpointIP: IPAddress) -> String {
        let base = "\(service)/\(port.protocol.rawValue.lowercased())/\(port.port)__\(nameText(endpointIP))/\(port.targetPort)"
        return "affinity-\(hash(base))-\(base)"
    }

    /// The service and port named by an external chain (`externalChain`), as
    /// `(service, "tcp", 80)`; nil for any other name.
    public static func servicePort(ofExternalChain name: String) -> (service: String, protocol: String, port: Int)? {
        guard name.hasPrefix("external-") else { return nil }
        let base = name.dropFirst("external-".count + 9)
        let parts = base.split(separator: "/")
        guard parts.count >= 3, let port = Int(parts[parts.count - 1]) else { return nil }
        return (parts[0..<(parts.count - 2)].joined(separator: "/"), String(parts[parts.count - 2]), port)
    }

    /// `endpoint-HASH-kube-svc-1/tcp/8080__10.200.0.2/8080`: the pod's IPv4 address, or
    /// its IPv6 one in an IPv6-only cluster (every pod has one of the two).
    public static func endpointChain(service: String, port: ServicePort, endpoint: Pod) -> String {
        endpointChain(service: service, port: port, endpointIP: endpoint.ip(.ipv4) ?? endpoint.ip(.ipv6)!)
    }

    public static func endpointChain(service: String, port: ServicePort, endpointIP: IPAddress) -> String {
        let base = "\(service)/\(port.protocol.rawValue.lowercased())/\(port.port)__\(nameText(endpointIP))/\(port.targetPort)"
        return "endpoint-\(hash(base))-\(base)"
    }

    public static func endpointChain(service: String, port: ServicePort, endpointIP: IPv4Address) -> String {
        endpointChain(service: service, port: port, endpointIP: .v4(endpointIP))
    }

    public static func affinitySet(service: String, port: ServicePort, endpointIP: IPv4Address) -> String {
        affinitySet(service: service, port: port, endpointIP: .v4(endpointIP))
    }

    /// An address as it appears in a chain or set name: IPv6's colons become dots
    /// (`fd00.200..2`), as kube-proxy writes them, since nft's parser takes a colon in a
    /// name for the separator of a map's data.
    static func nameText(_ address: IPAddress) -> String {
        switch address {
        case .v4(let address): return address.description
        case .v6(let address): return String(address.description.map { $0 == ":" ? "." : $0 })
        }
    }

    /// 8 base32 characters of a 64-bit FNV-1a hash: stable across runs and
    /// platforms, like kube-proxy's 8 characters of a SHA-256.
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return String((0..<8).map { alphabet[Int(value >> UInt64(59 - 5 * $0)) & 31] })
    }
}
