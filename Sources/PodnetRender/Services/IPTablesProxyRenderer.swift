import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Topology → the iptables rules of one node (proxy mode `iptables`), laid out as
/// kube-proxy's iptables mode and as seed 003 §5 writes them by hand:
///
/// - nat `PREROUTING` and `OUTPUT` jump to `KUBE-SERVICES`, one rule per service
///   port matching ClusterIP, protocol and port, jumping to that port's `KUBE-SVC-…`;
/// - `KUBE-SVC-…` picks an endpoint with the random cascade: the first with
///   probability 1/N, the next 1/(N−1), …, the last always;
/// - `KUBE-SEP-…` marks hairpin traffic (from the endpoint itself) with
///   `KUBE-MARK-MASQ`, then DNATs to the endpoint;
/// - nat `POSTROUTING` jumps to `KUBE-POSTROUTING`, which masquerades marked
///   packets, and (with `network.masquerade`) to `PODNET-EGRESS`, which masquerades
///   pod traffic leaving the cluster CIDR;
/// - filter `FORWARD` and `OUTPUT` jump, for new connections, to the filter
///   `KUBE-SERVICES`, which rejects ports of services without endpoints at once.
///
/// Rules are written in the canonical form `iptables-save` prints, so that what is
/// read back compares equal. Built-in chains get only podnet's jumps, each carrying
/// the comment `podnet:CLUSTER …`; the chains are podnet's whole.
public struct IPTablesProxyRenderer: Sendable {
    public let topology: Topology
    private let pods: [String: Pod]

    public init(topology: Topology) {
        self.topology = topology
        pods = Dictionary(topology.pods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// kube-proxy's masquerade mark bit.
    static let mark = "0x4000"

    public func ruleset(forNode node: Node, in namespace: NamespaceRef) -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        guard topology.proxy.mode == .iptables, !topology.services.isEmpty || topology.network.masquerade else { return ([], []) }
        var chains: [IPTablesChain] = []
        var rules: [IPTablesRule] = []
        let comment = IPTablesRule.mark(cluster: topology.name)
        func chain(_ table: String, _ name: String, _ specs: [String]) {
            chains.append(IPTablesChain(id: .init(namespace: namespace, table: table, name: name), rules: specs))
        }
        func jump(_ table: String, _ from: String, _ spec: String) {
            rules.append(IPTablesRule(namespace: namespace, table: table, chain: from, spec: spec))
        }

        var natServices: [String] = []
        var filterServices: [String] = []
        for service in topology.services {
            for port in service.ports {
                let name = "\(service.name):\(port.port)"
                let proto = port.protocol.rawValue.lowercased()
                let match = "-d \(service.clusterIP)/32 -p \(proto) -m comment --comment \"\(name) cluster IP\" -m \(proto) --dport \(port.port)"
                let endpoints = service.endpoints.compactMap { pods[$0] }
                guard !endpoints.isEmpty else {
                    filterServices.append("\(match) -j REJECT --reject-with icmp-port-unreachable")
                    continue
                }
                let svc = Self.chainName("KUBE-SVC-", "\(topology.name)/\(name)/\(proto)")
                natServices.append("\(match) -j \(svc)")
                var cascade: [String] = []
                for (index, pod) in endpoints.enumerated() {
                    let destination = "\(pod.ip):\(port.targetPort)"
                    let sep = Self.chainName("KUBE-SEP-", "\(topology.name)/\(name)/\(proto)/\(destination)")
                    let remaining = endpoints.count - index
                    let pick = remaining > 1 ? " -m statistic --mode random --probability \(Self.probability(1, remaining))" : ""
                    cascade.append("-m comment --comment \"\(name) -> \(destination)\"\(pick) -j \(sep)")
                    chain("nat", sep, [
                        "-s \(pod.ip)/32 -m comment --comment \"\(name) hairpin\" -j KUBE-MARK-MASQ",
                        "-p \(proto) -m comment --comment \"\(name) endpoint\" -m \(proto) -j DNAT --to-destination \(destination)",
                    ])
                }
                chain("nat", svc, cascade)
            }
        }
        chain("nat", "KUBE-SERVICES", natServices)
        chain("nat", "KUBE-MARK-MASQ", ["-j MARK --set-xmark \(Self.mark)/\(Self.mark)"])
        chain("nat", "KUBE-POSTROUTING", [
            "-m mark ! --mark \(Self.mark)/\(Self.mark) -j RETURN",
            "-j MARK --set-xmark \(Self.mark)/0x0",
            "-m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully",
        ])
        jump("nat", "PREROUTING", "-m comment --comment \"\(comment) service portals\" -j KUBE-SERVICES")
        jump("nat", "OUTPUT", "-m comment --comment \"\(comment) service portals\" -j KUBE-SERVICES")
        jump("nat", "POSTROUTING", "-m comment --comment \"\(comment) service SNAT\" -j KUBE-POSTROUTING")
        if topology.network.masquerade {
            let cidr = topology.clusterCIDR
            chain("nat", "PODNET-EGRESS", [
                "-s \(cidr) ! -d \(cidr) -m comment --comment \"pod traffic leaving the cluster\" -j MASQUERADE --random-fully",
            ])
            jump("nat", "POSTROUTING", "-m comment --comment \"\(comment) pod egress\" -j PODNET-EGRESS")
        }
        chain("filter", "KUBE-SERVICES", filterServices)
        for from in ["FORWARD", "OUTPUT"] {
            jump("filter", from, "-m conntrack --ctstate NEW -m comment --comment \"\(comment) service portals\" -j KUBE-SERVICES")
        }
        return (chains, rules)
    }

    /// `KUBE-SVC-` or `KUBE-SEP-` and 16 characters of base32 of a hash of what the
    /// chain is for, as kube-proxy names them (it hashes with SHA-256; podnet's 80
    /// bits come from two mixed FNV-1a hashes: stable, and far from colliding).
    static func chainName(_ prefix: String, _ seed: String) -> String {
        let high = KernelNames.mix64(KernelNames.fnv1a64(seed))
        let low = KernelNames.mix64(KernelNames.fnv1a64("podnet/" + seed))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var characters: [Character] = []
        for index in 0..<16 {
            let bits = index < 12 ? (high >> UInt64(5 * index)) : (low >> UInt64(5 * (index - 12)))
            characters.append(alphabet[Int(bits & 31)])
        }
        return prefix + String(characters)
    }

    /// numerator/denominator as iptables-save prints it back: the statistic match
    /// keeps the probability as a fraction of 2^31 (lround(p · 2^31)), printed with
    /// eleven decimals, so 1/3 reads back as 0.33333333349, not 0.33333333333 (a
    /// render that said the latter would differ from the kernel forever).
    static func probability(_ numerator: Int, _ denominator: Int) -> String {
        let fraction = (Double(numerator) / Double(denominator) * 2_147_483_648).rounded()
        let scaled = (fraction / 2_147_483_648 * 1e11).rounded()
        let digits = String(Int(scaled))
        return "0." + String(repeating: "0", count: max(0, 11 - digits.count)) + digits
    }
}
