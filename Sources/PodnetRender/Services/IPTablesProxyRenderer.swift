import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Topology → the iptables rules of one node (proxy mode `iptables`), laid out as
/// kube-proxy's iptables mode lays them out, and as seed 003 §5 writes them by hand:
///
/// - nat `PREROUTING` and `OUTPUT` jump to `KUBE-SERVICES`: one rule per service
///   port with endpoints, matching ClusterIP, protocol and port, jumping to the
///   port's `KUBE-SVC-…`;
/// - `KUBE-SVC-…` first marks traffic from outside the cluster CIDR for masquerade
///   (the node itself, in host mode), then picks an endpoint with the random
///   cascade: the first with probability 1/N, the next 1/(N−1), …, the last always;
/// - `KUBE-SEP-…` marks hairpin traffic (from the endpoint itself) with
///   `KUBE-MARK-MASQ`, then DNATs to the endpoint;
/// - nat `POSTROUTING` jumps to `KUBE-POSTROUTING`, which masquerades marked packets
///   (and clears the mark, so nothing masquerades them twice), and, with
///   `network.masquerade`, to `PODNET-EGRESS`, which masquerades pod traffic leaving
///   the cluster CIDR to the node's address (flannel's rule). DNATed service traffic
///   is addressed to a pod, inside the cluster CIDR, so it is never masqueraded there;
/// - filter `FORWARD` and `OUTPUT` send new connections to the filter
///   `KUBE-SERVICES`, which rejects at once (ICMP port unreachable: "connection
///   refused") each port of a service without endpoints, as kube-proxy does, and,
///   beyond kube-proxy's iptables mode (as its nftables mode does), any other
///   address and port of the service CIDR: one rule, since by then every connection
///   to a real service port has been DNATed to an endpoint.
///
/// Rules are written in the canonical form `iptables-save` prints. Built-in chains
/// get only podnet's jumps, each with the comment `podnet:CLUSTER …`; the KUBE-… and
/// PODNET-… chains are podnet's whole. Every node gets the same ruleset (kube-proxy's
/// `Cluster` traffic policy: all endpoints from every node).
public struct IPTablesProxyRenderer: Sendable {
    public let topology: Topology
    private let pods: [String: Pod]

    public init(topology: Topology) {
        self.topology = topology
        pods = Dictionary(topology.pods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private typealias Names = IPTablesProxyNames

    /// The ruleset of `node`'s namespace; empty unless the proxy mode is `iptables`
    /// and there is something to do (services, or masquerade).
    public func ruleset(forNode node: Node) -> IPTablesRuleset {
        var ruleset = IPTablesRuleset()
        guard topology.proxy.mode == .iptables, !topology.services.isEmpty || topology.network.masquerade else { return ruleset }
        let mark = IPTablesRuleset.mark(cluster: topology.name)
        func comment(_ text: String) -> String { "-m comment --comment \(IPTablesRuleText.quoted(text))" }

        var natServices: [String] = []
        var filterServices: [String] = []
        for service in topology.services {
            for port in service.ports {
                let name = Names.servicePortName(cluster: topology.name, service: service.name, port: port)
                let proto = Names.proto(port.protocol)
                let destination = "-d \(service.clusterIP)/32 -p \(proto)"
                let dport = "-m \(proto) --dport \(port.port)"
                let endpoints = endpoints(of: service)
                guard !endpoints.isEmpty else {
                    filterServices.append("\(destination) \(comment("\(name) has no endpoints")) \(dport) -j REJECT --reject-with icmp-port-unreachable")
                    continue
                }
                let serviceChain = Names.serviceChain(portName: name, protocol: port.protocol)
                let clusterIP = "\(destination) \(comment("\(name) cluster IP")) \(dport)"
                natServices.append("\(clusterIP) -j \(serviceChain)")
                var cascade = ["! -s \(topology.clusterCIDR) \(clusterIP) -j \(Names.markForMasquerade)"]
                for (index, ip) in endpoints.enumerated() {
                    let endpoint = "\(ip):\(port.targetPort)"
                    let endpointChain = Names.endpointChain(portName: name, protocol: port.protocol, endpoint: endpoint)
                    let remaining = endpoints.count - index
                    let pick = remaining > 1 ? " -m statistic --mode random --probability \(Names.probability(oneIn: remaining))" : ""
                    cascade.append("\(comment("\(name) -> \(endpoint)"))\(pick) -j \(endpointChain)")
                    ruleset.setChain(endpointChain, in: .nat, rules: [
                        "-s \(ip)/32 \(comment(name)) -j \(Names.markForMasquerade)",
                        "-p \(proto) \(comment(name)) -m \(proto) -j DNAT --to-destination \(endpoint)",
                    ])
                }
                ruleset.setChain(serviceChain, in: .nat, rules: cascade)
            }
        }
        ruleset.setChain(Names.services, in: .nat, rules: natServices)
        ruleset.setChain(Names.markForMasquerade, in: .nat, rules: ["-j MARK --set-xmark \(Names.masqueradeMark)/\(Names.masqueradeMark)"])
        ruleset.setChain(Names.postrouting, in: .nat, rules: [
            "-m mark ! --mark \(Names.masqueradeMark)/\(Names.masqueradeMark) -j RETURN",
            "-j MARK --set-xmark \(Names.masqueradeMark)/0x0",
            "\(comment("kubernetes service traffic requiring SNAT")) -j MASQUERADE --random-fully",
        ])
        ruleset.addBuiltinRule("\(comment("\(mark) service portals")) -j \(Names.services)", to: "PREROUTING", in: .nat)
        ruleset.addBuiltinRule("\(comment("\(mark) service portals")) -j \(Names.services)", to: "OUTPUT", in: .nat)
        ruleset.addBuiltinRule("\(comment("\(mark) service SNAT")) -j \(Names.postrouting)", to: "POSTROUTING", in: .nat)
        if topology.network.masquerade {
            let cidr = topology.clusterCIDR
            ruleset.setChain(Names.podEgress, in: .nat, rules: [
                "-s \(cidr) ! -d \(cidr) \(comment("pod traffic leaving the cluster")) -j MASQUERADE --random-fully",
            ])
            ruleset.addBuiltinRule("\(comment("\(mark) pod egress")) -j \(Names.podEgress)", to: "POSTROUTING", in: .nat)
        }
        if let serviceCIDR = topology.serviceCIDR, !topology.services.isEmpty {
            filterServices.append("-d \(serviceCIDR) \(comment("no service at this address and port")) -j REJECT --reject-with icmp-port-unreachable")
        }
        ruleset.setChain(Names.services, in: .filter, rules: filterServices)
        for chain in ["FORWARD", "OUTPUT"] {
            ruleset.addBuiltinRule("-m conntrack --ctstate NEW \(comment("\(mark) service portals")) -j \(Names.services)", to: chain, in: .filter)
        }
        return ruleset
    }

    /// The ruleset as KernelState holds it: chains and built-in rules of `namespace`.
    public func ruleset(forNode node: Node, in namespace: NamespaceRef) -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        let ruleset = ruleset(forNode: node)
        return (ruleset.chains(in: namespace), ruleset.rules(in: namespace))
    }

    /// The endpoints' addresses, lowest first (a stable order, whatever order the
    /// file lists the pods in), each once.
    private func endpoints(of service: Service) -> [IPv4Address] {
        Set(service.endpoints.compactMap { pods[$0]?.ip }).sorted()
    }
}
