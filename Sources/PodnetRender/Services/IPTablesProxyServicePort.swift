import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// One service port as the iptables proxy of one node sees it, and the rules it
/// writes there, as kube-proxy's iptables mode decides them from the port's
/// endpoints (all of them, and this node's), its traffic policies and its affinity:
///
/// - `KUBE-SVC-…` picks among all endpoints (the `Cluster` policy), `KUBE-SVL-…`
///   among this node's only (`Local`); each exists where some traffic uses it and it
///   has an endpoint to pick;
/// - ClusterIP traffic goes to the internal policy's chain; NodePort and external-IP
///   traffic to `KUBE-EXT-…`, which marks it for masquerade and goes to `KUBE-SVC-…`
///   (`Cluster`), or (`Local`) sends pods' and the node's own traffic to `KUBE-SVC-…`
///   (as if it had gone out to a load balancer and come back) and the rest, whose
///   source is kept, to `KUBE-SVL-…`;
/// - where a policy leaves no endpoint, the filter table drops that traffic (the
///   client sees a timeout, as from kube-proxy); where the port has no endpoint at
///   all, it rejects it (connection refused);
/// - `ClientIP` affinity: the chain first sends a client that an endpoint's `recent`
///   list saw within the timeout back to that endpoint; the endpoint's chain adds
///   the client to its list.
///
/// For one family: the service's ClusterIP and its endpoints' addresses of that
/// family, written as that family's iptables-save prints them.
struct IPTablesProxyServicePort {
    let topology: Topology
    let family: AddressFamily
    let service: Service
    let port: ServicePort
    /// Every endpoint's address, lowest first.
    let endpoints: [IPAddress]
    /// The endpoints on the node the rules are for.
    let localEndpoints: [IPAddress]

    private typealias Names = IPTablesProxyNames

    var name: String { Names.servicePortName(cluster: topology.name, service: service.name, port: port) }
    private var proto: String { Names.proto(port.protocol) }
    var serviceChain: String { Names.serviceChain(portName: name, protocol: port.protocol) }
    var localChain: String { Names.localServiceChain(portName: name, protocol: port.protocol) }
    var externalChain: String { Names.externalChain(portName: name, protocol: port.protocol) }

    /// The port every node accepts the service on, if it is a NodePort service's.
    var nodePort: Int? { service.type == .nodePort ? port.nodePort : nil }
    var acceptsExternalTraffic: Bool { nodePort != nil || !service.externalIPs(family).isEmpty }
    /// kube-proxy ignores `externalTrafficPolicy` where there is no external traffic.
    var externalPolicyIsLocal: Bool { acceptsExternalTraffic && service.externalTrafficPolicy == .local }
    var internalPolicyIsLocal: Bool { service.internalTrafficPolicy == .local }

    var hasEndpoints: Bool { !endpoints.isEmpty }
    var hasInternalEndpoints: Bool { internalPolicyIsLocal ? !localEndpoints.isEmpty : hasEndpoints }
    var hasExternalEndpoints: Bool { externalPolicyIsLocal ? !localEndpoints.isEmpty : hasEndpoints }
    /// External traffic needs KUBE-SVC-… even under `Local`: pods' and the node's own short cut.
    var usesServiceChain: Bool { hasEndpoints && (!internalPolicyIsLocal || acceptsExternalTraffic) }
    var usesLocalChain: Bool { !localEndpoints.isEmpty && (internalPolicyIsLocal || externalPolicyIsLocal) }
    /// Based on any endpoint, not this node's: the short cuts hold without a local one.
    var usesExternalChain: Bool { hasEndpoints && acceptsExternalTraffic }
    var internalChain: String { internalPolicyIsLocal ? localChain : serviceChain }

    /// The endpoints this node DNATs to: each gets its KUBE-SEP-….
    var reachableEndpoints: [IPAddress] { usesServiceChain ? endpoints : usesLocalChain ? localEndpoints : [] }

    private func comment(_ text: String) -> String { Names.comment(text) }
    private var dport: String { "-m \(proto) --dport \(port.port)" }

    /// Adds the port's chains to `ruleset` and its rules to the shared chains of `portals`.
    func write(into ruleset: inout IPTablesRuleset, portals: inout IPTablesProxyPortals) {
        // The renderer passes only services of the family.
        let clusterIP = "-d \(service.clusterIP(family)!.iptablesHost) -p \(proto)"
        if !hasEndpoints {
            let reject = "-j REJECT --reject-with \(family.portUnreachable)"
            portals.filterServices.append("\(clusterIP) \(comment("\(name) has no endpoints")) \(dport) \(reject)")
            writeExternalFilters(comment: "\(name) has no endpoints", verdict: reject, into: &portals)
            return
        }
        let clusterIPMatch = "\(clusterIP) \(comment("\(name) cluster IP")) \(dport)"
        if hasInternalEndpoints {
            portals.natServices.append("\(clusterIPMatch) -j \(internalChain)")
        } else {
            portals.filterServices.append("\(clusterIP) \(comment("\(name) has no local endpoints")) \(dport) -j DROP")
        }
        if !hasExternalEndpoints {
            writeExternalFilters(comment: "\(name) has no local endpoints", verdict: "-j DROP", into: &portals)
        }
        if usesExternalChain {
            for address in service.externalIPs(family) {
                portals.natServices.append("-d \(address.iptablesHost) -p \(proto) \(comment("\(name) external IP")) \(dport) -j \(externalChain)")
            }
            if let nodePort {
                portals.nodePorts.append("-p \(proto) \(comment(name)) -m \(proto) --dport \(nodePort) -j \(externalChain)")
            }
            ruleset.setChain(externalChain, in: .nat, rules: externalRules)
        }
        // Off-cluster traffic to the ClusterIP (the node itself) is masqueraded, in the
        // chain that ClusterIP traffic takes.
        let masquerade = "! -s \(clusterCIDR) \(clusterIPMatch) -j \(Names.markForMasquerade)"
        if usesServiceChain {
            let first = hasInternalEndpoints && !internalPolicyIsLocal ? [masquerade] : []
            ruleset.setChain(serviceChain, in: .nat, rules: first + cascade(over: endpoints))
        }
        if usesLocalChain {
            let first = internalPolicyIsLocal ? [masquerade] : []
            ruleset.setChain(localChain, in: .nat, rules: first + cascade(over: localEndpoints))
        }
        for ip in reachableEndpoints {
            let endpointChain = endpointChain(ip)
            let remember = service.sessionAffinity.timeoutSeconds == nil ? "" : " -m recent --set --name \(endpointChain) \(recentSource)"
            ruleset.setChain(endpointChain, in: .nat, rules: [
                "-s \(ip.iptablesHost) \(comment(name)) -j \(Names.markForMasquerade)",
                "-p \(proto) \(comment(name))\(remember) -m \(proto) -j DNAT --to-destination \(ip.joined(port: port.targetPort))",
            ])
        }
    }

    /// The family's cluster CIDR (the renderer renders only families the cluster has).
    private var clusterCIDR: IPPrefix { topology.clusterCIDR(family)! }

    /// How iptables-save prints a `recent` match's defaults: the whole source address.
    private var recentSource: String { "--mask \(family.recentFullMask) --rsource" }

    /// kube-proxy names the endpoint `IP:PORT` (`[IP]:PORT` in IPv6) in the hash.
    private func endpointChain(_ ip: IPAddress) -> String {
        Names.endpointChain(portName: name, protocol: port.protocol, endpoint: ip.joined(port: port.targetPort))
    }

    /// The affinity checks, then the random cascade: the first of N endpoints with
    /// probability 1/N, the next 1/(N−1), …, the last always.
    private func cascade(over endpoints: [IPAddress]) -> [String] {
        var rules: [String] = []
        if let timeout = service.sessionAffinity.timeoutSeconds {
            for ip in endpoints {
                let chain = endpointChain(ip)
                rules.append("\(comment("\(name) -> \(ip.joined(port: port.targetPort))")) -m recent --rcheck --seconds \(timeout) --reap --name \(chain) \(recentSource) -j \(chain)")
            }
        }
        for (index, ip) in endpoints.enumerated() {
            let remaining = endpoints.count - index
            let pick = remaining > 1 ? " -m statistic --mode random --probability \(Names.probability(oneIn: remaining))" : ""
            rules.append("\(comment("\(name) -> \(ip.joined(port: port.targetPort))"))\(pick) -j \(endpointChain(ip))")
        }
        return rules
    }

    /// KUBE-EXT-…: `Cluster` masquerades (the endpoint may be on another node, and
    /// must answer through this one); `Local` keeps the client's address, except for
    /// what comes from a pod or from the node itself, which takes every endpoint.
    private var externalRules: [String] {
        let destinations = "\(name) external destinations"
        guard externalPolicyIsLocal else {
            return ["\(comment("masquerade traffic for \(destinations)")) -j \(Names.markForMasquerade)", "-j \(serviceChain)"]
        }
        var rules = [
            "-s \(clusterCIDR) \(comment("pod traffic for \(destinations)")) -j \(serviceChain)",
            "\(comment("masquerade LOCAL traffic for \(destinations)")) -m addrtype --src-type LOCAL -j \(Names.markForMasquerade)",
            "\(comment("route LOCAL traffic for \(destinations)")) -m addrtype --src-type LOCAL -j \(serviceChain)",
        ]
        // Without a local endpoint the rest falls through, undone, to the filter's drop.
        if hasExternalEndpoints { rules.append("-j \(localChain)") }
        return rules
    }

    /// The filter rules that stop NodePort and external-IP traffic nothing DNATs.
    private func writeExternalFilters(comment text: String, verdict: String, into portals: inout IPTablesProxyPortals) {
        for address in service.externalIPs(family) {
            portals.externalServices.append("-d \(address.iptablesHost) -p \(proto) \(comment(text)) \(dport) \(verdict)")
        }
        if let nodePort {
            portals.externalServices.append("-p \(proto) \(comment(text)) -m addrtype --dst-type LOCAL -m \(proto) --dport \(nodePort) \(verdict)")
        }
    }
}

/// The rules every service port adds to the shared chains: nat and filter
/// KUBE-SERVICES, KUBE-NODEPORTS, filter KUBE-EXTERNAL-SERVICES.
struct IPTablesProxyPortals {
    var natServices: [String] = []
    var filterServices: [String] = []
    var nodePorts: [String] = []
    var externalServices: [String] = []
}
