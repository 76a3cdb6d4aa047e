import PodnetKernelModel
import PodnetTopology

/// Names and values of the iptables proxy layout, as kube-proxy's iptables mode
/// makes them, so that `iptables -t nat -L` on a podnet node reads like one on a
/// Kubernetes node.
public enum IPTablesProxyNames {
    // kube-proxy's fixed chains, and podnet's own for pod egress (flannel's role).
    public static let services = "KUBE-SERVICES"
    public static let markForMasquerade = "KUBE-MARK-MASQ"
    public static let postrouting = "KUBE-POSTROUTING"
    public static let podEgress = "PODNET-EGRESS"
    /// NodePorts, one rule each, reached from the end of KUBE-SERVICES for the node's own addresses.
    public static let nodePorts = "KUBE-NODEPORTS"
    /// filter: drops (Local, no endpoint here) and rejects (no endpoint at all) of
    /// NodePort and external-IP traffic, from INPUT and FORWARD.
    public static let externalServices = "KUBE-EXTERNAL-SERVICES"

    /// kube-proxy's masquerade mark bit (its default `--iptables-masquerade-bit` 14).
    public static let masqueradeMark = "0x4000"

    /// The service port's name in comments and hashes, `CLUSTER/SERVICE:PORT`: kube-proxy's
    /// `NAMESPACE/SERVICE:PORTNAME`, with the cluster in the namespace's place (so that
    /// the chain names carry the cluster) and the port number as the port's name.
    public static func servicePortName(cluster: String, service: String, port: ServicePort) -> String {
        "\(cluster)/\(service):\(port.port)"
    }

    /// The service, port and what follows (` cluster IP`, ` has no endpoints`, or
    /// nothing) of a comment that starts with a service port's name of `cluster`.
    public static func servicePort(inComment comment: String, cluster: String) -> (service: String, port: Int, rest: Substring)? {
        guard comment.hasPrefix(cluster + "/") else { return nil }
        let rest = comment.dropFirst(cluster.count + 1)
        let portName = rest.prefix { $0 != " " }
        guard let colon = portName.lastIndex(of: ":"), let port = Int(portName[portName.index(after: colon)...]) else { return nil }
        return (String(portName[..<colon]), port, rest[portName.endIndex...])
    }

    /// `KUBE-SVC-` and 16 characters of base32(SHA-256(name + protocol)), kube-proxy's
    /// `servicePortPolicyClusterChain`: iptables chain names hold 28 characters.
    public static func serviceChain(portName: String, protocol: ServicePort.TransportProtocol) -> String {
        "KUBE-SVC-" + hash(portName + proto(`protocol`))
    }

    /// `KUBE-SVL-` and the same hash: the port's chain of this node's endpoints only
    /// (a `Local` traffic policy), kube-proxy's `servicePortPolicyLocalChainName`.
    public static func localServiceChain(portName: String, protocol: ServicePort.TransportProtocol) -> String {
        "KUBE-SVL-" + hash(portName + proto(`protocol`))
    }

    /// `KUBE-EXT-` and the same hash: where NodePort and external-IP traffic enters
    /// (masquerade, or Local's short cuts), kube-proxy's `serviceExternalChainName`.
    public static func externalChain(portName: String, protocol: ServicePort.TransportProtocol) -> String {
        "KUBE-EXT-" + hash(portName + proto(`protocol`))
    }

    /// `KUBE-SEP-` and 16 characters of base32(SHA-256(name + protocol + "IP:PORT")),
    /// kube-proxy's `servicePortEndpointChainName`.
    public static func endpointChain(portName: String, protocol: ServicePort.TransportProtocol, endpoint: String) -> String {
        "KUBE-SEP-" + hash(portName + proto(`protocol`) + endpoint)
    }

    /// A comment match, as iptables-save prints it.
    public static func comment(_ text: String) -> String { "-m comment --comment \(IPTablesRuleText.quoted(text))" }

    /// The protocol as iptables and kube-proxy's hashes spell it: `tcp`, `udp`.
    public static func proto(_ protocol: ServicePort.TransportProtocol) -> String { `protocol`.rawValue.lowercased() }

    static func hash(_ text: String) -> String {
        String(Base32.encode(SHA256.digest(text.utf8)).prefix(16))
    }

    /// The `statistic` match's probability of picking the first of `remaining`
    /// endpoints, 1/remaining, as iptables-save prints it back. The kernel keeps a
    /// probability as a 31-bit fraction: iptables stores lround(p × 2³¹) and prints
    /// that over 2³¹ with 11 decimals, so 1/3 reads back as 0.33333333349, not
    /// 0.33333333333. Computed in integers (k × 10¹¹ / 2³¹ = k × 5¹¹ / 2²⁰, rounded
    /// half to even as printf rounds an exact binary value), to match byte for byte.
    public static func probability(oneIn remaining: Int) -> String {
        precondition(remaining >= 1)
        let scale: UInt64 = 1 << 31
        // lround(2³¹ / n): round half away from zero.
        let fraction = (2 * scale + UInt64(remaining)) / (2 * UInt64(remaining))
        let numerator = fraction * 48_828_125  // 5¹¹
        var digits = numerator >> 20
        let remainder = numerator & (1 << 20 - 1)
        if remainder > 1 << 19 || (remainder == 1 << 19 && digits % 2 == 1) { digits += 1 }
        let whole = digits / 100_000_000_000
        let decimals = String(digits % 100_000_000_000)
        return "\(whole)." + String(repeating: "0", count: 11 - decimals.count) + decimals
    }
}
