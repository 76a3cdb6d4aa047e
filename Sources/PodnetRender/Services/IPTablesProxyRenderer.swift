import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Topology → the iptables rules of one node (proxy mode `iptables`), laid out as
/// kube-proxy's iptables mode lays them out, and as seed 003 §5 writes them by hand:
///
/// - nat `PREROUTING` and `OUTPUT` jump to `KUBE-SERVICES`: one rule per service
///   port with endpoints, matching ClusterIP, protocol and port, jumping to the
///   port's `KUBE-SVC-…` (or `KUBE-SVL-…`, internalTrafficPolicy `Local`); one per
///   external IP and port, jumping to the port's `KUBE-EXT-…`; and last, for the
///   node's own addresses, a jump to `KUBE-NODEPORTS`, one rule per NodePort jumping
///   to `KUBE-EXT-…` (see IPTablesProxyServicePort for these chains and policies);
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
///   refused") each port of a service without endpoints, as kube-proxy does, drops
///   ClusterIP traffic that a `Local` internal policy leaves without an endpoint,
///   and, beyond kube-proxy's iptables mode (as its nftables mode does), rejects
///   any other address and port of the service CIDR: one rule, last, since by then
///   every connection to a real service port has been DNATed to an endpoint;
/// - filter `INPUT` and `FORWARD` send new connections to `KUBE-EXTERNAL-SERVICES`
///   (where any service takes traffic from outside), which drops NodePort and
///   external-IP traffic that a `Local` external policy leaves without an endpoint
///   on this node, and rejects it for a port without any endpoint.
///
/// Rules are written in the canonical form `iptables-save` prints. Built-in chains
/// get only podnet's jumps, each with the comment `podnet:CLUSTER …`; the KUBE-… and
/// PODNET-… chains are podnet's whole. Nodes differ only where a service has a
/// `Local` policy (its KUBE-SVL-… holds that node's endpoints).
public struct IPTablesProxyRenderer: Sendable {
    public let topology: Topology
    private let pods: [String: Pod]

    public init(topology: Topology) {
        self.topology = topology
        pods = Dictionary(topology.pods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private typealias Names = IPTablesProxyNames

    /// kube-proxy's jump to KUBE-NODEPORTS, last in KUBE-SERVICES: every local
    /// address of the node, but loopback (kube-proxy's `--iptables-localhost-nodeports=false`:
    /// a DNAT from 127.0.0.1 to a pod needs route_localnet, which podnet does not set).
    static let nodePortsJump = "! -d 127.0.0.0/8 "
        + Names.comment("kubernetes service nodeports; \(IPTablesRuleset.lastRuleNote)")
        + " -m addrtype --dst-type LOCAL -j \(Names.nodePorts)"

    /// The ruleset of `node`'s namespace; empty unless the proxy mode is `iptables`
    /// and there is something to do (services, or masquerade).
    public func ruleset(forNode node: Node) -> IPTablesRuleset {
        var ruleset = IPTablesRuleset()
        guard topology.proxy.mode == .iptables, !topology.services.isEmpty || topology.network.masquerade else { return ruleset }
        let mark = IPTablesRuleset.mark(cluster: topology.name)
        func comment(_ text: String) -> String { Names.comment(text) }

        var portals = IPTablesProxyPortals()
        var hasNodePorts = false
        var hasExternalTraffic = false
        for service in topology.services {
            let endpoints = endpoints(of: service)
            let localEndpoints = endpoints.filter { $0.node == node.name }.map(\.ip)
            for port in service.ports {
                let servicePort = IPTablesProxyServicePort(topology: topology, service: service, port: port,
                                                           endpoints: endpoints.map(\.ip), localEndpoints: localEndpoints)
                hasNodePorts = hasNodePorts || servicePort.nodePort != nil
                hasExternalTraffic = hasExternalTraffic || servicePort.acceptsExternalTraffic
                servicePort.write(into: &ruleset, portals: &portals)
            }
        }
        // The chains every service port shares exist on every node alike, whichever
        // ports have endpoints there.
        if hasNodePorts {
            portals.natServices.append(Self.nodePortsJump)
            ruleset.setChain(Names.nodePorts, in: .nat, rules: portals.nodePorts)
        }
        ruleset.setChain(Names.services, in: .nat, rules: portals.natServices)
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
            // Last: a `Local` port's drop comes first.
            let note = "no service at this address and port; \(IPTablesRuleset.lastRuleNote)"
            portals.filterServices.append("-d \(serviceCIDR) \(comment(note)) -j REJECT --reject-with icmp-port-unreachable")
        }
        ruleset.setChain(Names.services, in: .filter, rules: portals.filterServices)
        for chain in ["FORWARD", "OUTPUT"] {
            ruleset.addBuiltinRule("-m conntrack --ctstate NEW \(comment("\(mark) service portals")) -j \(Names.services)", to: chain, in: .filter)
        }
        if hasExternalTraffic {
            ruleset.setChain(Names.externalServices, in: .filter, rules: portals.externalServices)
            for chain in ["INPUT", "FORWARD"] {
                ruleset.addBuiltinRule("-m conntrack --ctstate NEW \(comment("\(mark) externally-visible service portals")) -j \(Names.externalServices)",
                                       to: chain, in: .filter)
            }
        }
        return ruleset
    }

    /// The ruleset as KernelState holds it: chains and built-in rules of `namespace`.
    public func ruleset(forNode node: Node, in namespace: NamespaceRef) -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        let ruleset = ruleset(forNode: node)
        return (ruleset.chains(in: namespace), ruleset.rules(in: namespace))
    }

    /// The endpoints' addresses and nodes, lowest address first (a stable order,
    /// whatever order the file lists the pods in), each once.
    private func endpoints(of service: Service) -> [(ip: IPv4Address, node: String)] {
        var nodes: [IPv4Address: String] = [:]
        for name in service.endpoints { if let pod = pods[name] { nodes[pod.ip] = nodes[pod.ip] ?? pod.node } }
        return nodes.keys.sorted().map { ($0, nodes[$0]!) }
    }
}
