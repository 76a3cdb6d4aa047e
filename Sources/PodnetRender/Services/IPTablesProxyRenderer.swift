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
/// IPv6 (a dual-stack cluster): the same layout in ip6tables, by the same code with
/// the family's values (`family:`), as kube-proxy runs one proxier per family: the
/// services that have an IPv6 ClusterIP, their endpoints' IPv6 addresses, the IPv6
/// cluster and service CIDRs, `/128` for one address, `[ADDRESS]:PORT` in DNATs
/// and endpoint names, ICMPv6's port unreachable in rejects. External IPs are IPv4
/// only (docs/dual-stack.md). Chain names hash the service port alone, so a port's
/// KUBE-SVC-… is named alike in both families; KUBE-SEP-… hash the endpoint too.
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
    /// a DNAT from 127.0.0.1 to a pod needs route_localnet, which podnet does not set;
    /// IPv6 has no such thing, and kube-proxy leaves `::1` out alike).
    static func nodePortsJump(_ family: AddressFamily) -> String {
        "! -d \(family.loopbackNetwork) "
            + Names.comment("kubernetes service nodeports; \(IPTablesRuleset.lastRuleNote)")
            + " -m addrtype --dst-type LOCAL -j \(Names.nodePorts)"
    }

    /// The ruleset of `node`'s namespace for `family` (iptables, or ip6tables);
    /// empty unless the proxy mode is `iptables`, the cluster has the family and
    /// there is something to do (services, or masquerade).
    public func ruleset(forNode node: Node, family: AddressFamily = .ipv4) -> IPTablesRuleset {
        var ruleset = IPTablesRuleset()
        guard topology.proxy.mode == .iptables, let clusterCIDR = topology.clusterCIDR(family) else { return ruleset }
        // Only the services of the family: kube-proxy's proxier of a family sees those alone.
        let services = topology.services.filter { $0.clusterIP(family) != nil }
        guard !services.isEmpty || topology.network.masquerade else { return ruleset }
        let mark = IPTablesRuleset.mark(cluster: topology.name)
        func comment(_ text: String) -> String { Names.comment(text) }

        var portals = IPTablesProxyPortals()
        var hasNodePorts = false
        var hasExternalTraffic = false
        for service in services {
            let endpoints = endpoints(of: service, family: family)
            let localEndpoints = endpoints.filter { $0.node == node.name }.map(\.ip)
            for port in service.ports {
                let servicePort = IPTablesProxyServicePort(topology: topology, family: family, service: service, port: port,
                                                           endpoints: endpoints.map(\.ip), localEndpoints: localEndpoints)
                hasNodePorts = hasNodePorts || servicePort.nodePort != nil
                hasExternalTraffic = hasExternalTraffic || servicePort.acceptsExternalTraffic
                servicePort.write(into: &ruleset, portals: &portals)
            }
        }
        // The chains every service port shares exist on every node alike, whichever
        // ports have endpoints there.
        if hasNodePorts {
            portals.natServices.append(Self.nodePortsJump(family))
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
            let cidr = clusterCIDR
            ruleset.setChain(Names.podEgress, in: .nat, rules: [
                "-s \(cidr) ! -d \(cidr) \(comment("pod traffic leaving the cluster")) -j MASQUERADE --random-fully",
            ])
            ruleset.addBuiltinRule("\(comment("\(mark) pod egress")) -j \(Names.podEgress)", to: "POSTROUTING", in: .nat)
        }
        if let serviceCIDR = topology.serviceCIDR(family), !services.isEmpty {
            // Last: a `Local` port's drop comes first.
            let note = "no service at this address and port; \(IPTablesRuleset.lastRuleNote)"
            portals.filterServices.append("-d \(serviceCIDR) \(comment(note)) -j REJECT --reject-with \(family.portUnreachable)")
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

    /// The rulesets as KernelState holds them: chains and built-in rules of
    /// `namespace`, of every family the cluster has.
    public func ruleset(forNode node: Node, in namespace: NamespaceRef) -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        var chains: [IPTablesChain] = [], rules: [IPTablesRule] = []
        for family in topology.families.sorted() {
            let ruleset = ruleset(forNode: node, family: family)
            chains += ruleset.chains(in: namespace, family: family)
            rules += ruleset.rules(in: namespace, family: family)
        }
        return (chains, rules)
    }

    /// The endpoints' addresses of `family` and their nodes, lowest address first (a
    /// stable order, whatever order the file lists the pods in), each once.
    private func endpoints(of service: Service, family: AddressFamily) -> [(ip: IPAddress, node: String)] {
        var nodes: [IPAddress: String] = [:]
        for name in service.endpoints {
            if let pod = pods[name], let ip = pod.ip(family) { nodes[ip] = nodes[ip] ?? pod.node }
        }
        return nodes.keys.sorted().map { ($0, nodes[$0]!) }
    }
}
