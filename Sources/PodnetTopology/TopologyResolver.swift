import PodnetAddress
import PodnetYAML

/// Checks a `TopologySpec` against the rules of TOPOLOGY.md and fills in every
/// default and address. All findings go to the log; a `Topology` comes out only
/// when there is no error.
struct TopologyResolver {
    let log: DiagnosticLog
    let live: LiveAssignments

    func resolve(_ spec: TopologySpec) -> Topology? {
        let name = clusterName(spec)
        let cidrs = clusterPrefixes(spec)
        let network = self.network(spec)
        var names = NameRegistry(log: log)
        let nodes = NodeResolver(log: log, live: live).resolve(spec.nodes, cidrs: cidrs, network: network,
                                                               held: ClientResolver.heldAddresses(spec.clients, live: live),
                                                               heldV6: ClientResolver.heldAddressesV6(spec.clients, live: live), names: &names)
        let declaredNodes = Set(spec.nodes.compactMap { $0.name?.value })
        let scopes = NamespaceResolver(log: log)
        let namespaces = scopes.resolve(spec.namespaces)
        let declaredNamespaces = Set(spec.namespaces.compactMap { $0.name?.value })
        let pods = scopes.place(PodResolver(log: log, live: live).resolve(spec.pods, nodes: nodes, declaredNodes: declaredNodes, names: &names,
                                                                          clusterReadable: cidrs.clusterReadable),
                                in: namespaces, declared: declaredNamespaces)
        let serviceSpecs = scopes.checkServices(spec.services, in: namespaces, declared: declaredNamespaces)
        let declaredPods = Set(spec.pods.compactMap { $0.name?.value })
        let links = LinkResolver(log: log).resolve(spec.links, pods: pods, declaredPods: declaredPods, nodes: nodes)
        let clients = ClientResolver(log: log, live: live).resolve(spec.clients, underlay: cidrs.underlay, underlayV6: cidrs.underlayV6,
                                                                   underlayIPv6Only: cidrs.underlayIPv6Only,
                                                                   nodes: nodes, names: &names)
        var nodePorts = spec.invalid.contains("proxy.nodePortRange") ? nil
            : NodePortAllocator(log: log, live: live, range: spec.nodePortRange)
        if network.backend == .vxlan {
            nodePorts?.nodeOwned[.udp] = [network.vxlan.port: "the VXLAN port (network.vxlan.port)"]
        }
        let externalIPs = ExternalIPChecker(log: log, clusterCIDRs: [cidrs.cluster.map(IPPrefix.v4), cidrs.clusterV6.map(IPPrefix.v6)].compactMap { $0 },
                                            serviceCIDRs: [cidrs.service.map { .v4($0.value) }, cidrs.serviceV6.map { .v6($0.value) }].compactMap { $0 },
                                            underlays: [cidrs.underlay.map(IPPrefix.v4), cidrs.underlayV6.map(IPPrefix.v6)].compactMap { $0 },
                                            nodes: nodes, clients: clients)
        let services = ServiceResolver(log: log, live: live).resolve(serviceSpecs, serviceCIDR: cidrs.service,
                                                                    serviceCIDRv6: cidrs.serviceV6, servicePrimary: spec.servicePrimary,
                                                                    serviceCIDRUnreadable: spec.invalid.contains("serviceCIDR") || cidrs.serviceCIDRRefused,
                                                                    pods: pods, declaredPods: declaredPods,
                                                                    nodePorts: nodePorts, externalIPs: externalIPs)
        let policies = NetworkPolicyResolver(log: log).resolve(
            spec.networkPolicies, context: .init(namespaces: namespaces, declaredNamespaces: declaredNamespaces, pods: pods.map(\.pod),
                                                 bridgelessNodes: Set(nodes.map(\.node).filter { $0.bridge == nil }.map(\.name)),
                                                 hasIPv6: cidrs.clusterV6 != nil))
        if let mark = spec.emptyNodesMark {
            log.error(mark, "a cluster needs at least one node")
        }

        guard log.errorCount == 0, let name, cidrs.clusterReadable, cidrs.underlayReadable else { return nil }
        return Topology(
            name: name, clusterCIDR: cidrs.cluster, serviceCIDR: cidrs.service?.value,
            network: network,
            proxy: Proxy(mode: spec.proxyMode?.value ?? .nftables, nodePortRange: spec.nodePortRange?.value ?? Proxy.defaultNodePortRange),
            underlay: Underlay(cidr: cidrs.underlay), nodes: nodes.map(\.node),
            pods: pods.map(\.pod), links: links, services: services, clients: clients.map(\.client),
            namespaces: namespaces, networkPolicies: policies,
            ipv6: cidrs.clusterV6.map {
                ClusterIPv6(clusterCIDR: $0, serviceCIDR: cidrs.serviceV6?.value, underlayCIDR: cidrs.underlayV6,
                            isPrimary: spec.clusterPrimary == .ipv6)
            })
    }

    private func clusterName(_ spec: TopologySpec) -> String? {
        guard let name = spec.name else { return nil }
        if let problem = Names.clusterNameProblem(name.value) {
            log.error(name.mark, "cluster name '\(name.value)' \(problem)")
            return nil
        }
        return name.value
    }

    struct Prefixes {
        var cluster: IPv4Prefix?
        var service: Located<IPv4Prefix>?
        /// nil when the file's underlay.cidr could not be read (already reported).
        var underlay: IPv4Prefix?
        /// The IPv6 sides, nil where the file gives none (or after an error).
        var clusterV6: IPv6Prefix? = nil
        var serviceV6: Located<IPv6Prefix>? = nil
        var underlayV6: IPv6Prefix? = nil
        /// clusterCIDR gives only an IPv6 prefix: an IPv6-only cluster, whose pods,
        /// nodes' pod CIDRs and services have no IPv4 values.
        var ipv6Only = false
        /// serviceCIDR gives an IPv4 prefix to an IPv6-only cluster (reported).
        var serviceCIDRRefused = false

        /// underlay.cidr gives only an IPv6 prefix: nodes and clients have IPv6
        /// underlay addresses alone.
        var underlayIPv6Only = false

        /// Whether clusterCIDR was read: one prefix per family it lists.
        var clusterReadable: Bool { cluster != nil || ipv6Only }
        /// Whether underlay.cidr was read (or left to its default).
        var underlayReadable: Bool { underlay != nil || underlayIPv6Only }
    }

    private func clusterPrefixes(_ spec: TopologySpec) -> Prefixes {
        var prefixes = ipv4Prefixes(spec)
        DualStackChecker(log: log).check(spec, into: &prefixes)
        return prefixes
    }

    private func ipv4Prefixes(_ spec: TopologySpec) -> Prefixes {
        guard !spec.invalid.contains("underlay.cidr") else {
            return Prefixes(cluster: spec.clusterCIDR?.value, service: spec.serviceCIDR, underlay: nil)
        }
        guard spec.underlayCIDR != nil || spec.underlayCIDRv6 == nil else {
            // An IPv6-only underlay (DualStackChecker says where it may be).
            var prefixes = Prefixes(cluster: spec.clusterCIDR?.value, service: spec.serviceCIDR, underlay: nil)
            prefixes.underlayIPv6Only = true
            return prefixes
        }
        let underlay = spec.underlayCIDR?.value ?? Underlay.defaultCIDR
        let underlayText = spec.underlayCIDR.map { "underlay.cidr \($0.value) (line \($0.mark.line))" }
            ?? "the default underlay.cidr \(underlay)"
        if let cluster = spec.clusterCIDR, cluster.value.overlaps(underlay) {
            log.error(cluster.mark, "clusterCIDR \(cluster.value) overlaps \(underlayText); pod and node addresses must not collide")
        }
        if let service = spec.serviceCIDR {
            if let cluster = spec.clusterCIDR, service.value.overlaps(cluster.value) {
                log.error(service.mark, "serviceCIDR \(service.value) overlaps clusterCIDR \(cluster.value) (line \(cluster.mark.line)); ClusterIPs must not collide with pod addresses")
            }
            if service.value.overlaps(underlay) {
                log.error(service.mark, "serviceCIDR \(service.value) overlaps \(underlayText)")
            }
        }
        return Prefixes(cluster: spec.clusterCIDR?.value, service: spec.serviceCIDR, underlay: underlay)
    }

    private func network(_ spec: TopologySpec) -> Network {
        let backend = spec.backend?.value ?? .vxlan
        var vxlan = VXLAN()
        vxlan.vni = spec.vni?.value ?? vxlan.vni
        vxlan.port = spec.vxlanPort?.value ?? vxlan.port
        vxlan.discovery = spec.discovery?.value ?? vxlan.discovery
        vxlan.group = spec.group?.value
        // A misread backend or VXLAN section was reported; its consequences are not.
        if spec.invalid.isDisjoint(with: ["network", "network.backend", "network.vxlan"]) {
            if backend == .vxlan {
                checkVXLAN(spec, discovery: vxlan.discovery)
            } else if let mark = spec.vxlanMark {
                log.warning(mark, "network.vxlan is ignored: the backend is \(backend.rawValue)")
            }
        }
        let network = Network(backend: backend, mtu: spec.mtu?.value ?? 1500,
                              masquerade: spec.masquerade?.value ?? true, vxlan: vxlan)
        let podMTU = network.podMTU(underlayIPv6Only: spec.underlayCIDR == nil && spec.underlayCIDRv6 != nil)
        if podMTU < 576, spec.clusterCIDR != nil, let mtu = spec.mtu {
            log.error(mtu.mark, "network.mtu \(network.mtu) leaves pods an MTU of \(podMTU) after the \(backend.rawValue) overhead; IPv4 needs at least 576")
        } else if podMTU < 1280, spec.clusterCIDRv6 != nil, let mtu = spec.mtu {
            log.error(mtu.mark, "network.mtu \(network.mtu) leaves pods an MTU of \(podMTU) after the \(backend.rawValue) overhead; IPv6 needs at least 1280 (RFC 8200)")
        }
        return network
    }

    /// Multicast discovery needs a multicast group, and a group needs multicast discovery.
    private func checkVXLAN(_ spec: TopologySpec, discovery: VXLAN.Discovery) {
        if let group = spec.group {
            if !group.value.isMulticast {
                log.error(group.mark, "the VXLAN group \(group.value) is not a multicast address; use one of 224.0.0.0/4, such as 239.1.1.1")
            } else if discovery != .multicast {
                log.error(group.mark, "a VXLAN group is used only with 'discovery: multicast'; remove it or set the discovery")
            }
        } else if discovery == .multicast {
            log.error(spec.discovery?.mark ?? spec.mark, "'discovery: multicast' needs a multicast group; add 'group: 239.1.1.1' under network.vxlan")
        }
    }

}

/// Node, pod and client names share one namespace (each becomes a network
/// namespace `CLUSTER.NAME`), so uniqueness is checked across all three.
struct NameRegistry {
    let log: DiagnosticLog
    private var seen: [String: (kind: String, mark: SourceMark)] = [:]

    init(log: DiagnosticLog) { self.log = log }

    /// Registers `name`; false (with an error) if a node, pod or client already has it.
    mutating func register(_ name: Located<String>, kind: String) -> Bool {
        if let first = seen[name.value] {
            log.error(name.mark, "the name '\(name.value)' is already used by the \(first.kind) at line \(first.mark.line); node, pod and client names must be unique, since each becomes a network namespace")
            return false
        }
        seen[name.value] = (kind, name.mark)
        return true
    }
}
