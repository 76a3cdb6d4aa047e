import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Topology → the kernel objects lab mode wants: every node and pod emulated as a
/// namespace on this machine, joined by an underlay bridge (seed 003 §2–§4).
public struct LabRenderer: Sendable {
    public let topology: Topology

    public init(topology: Topology) { self.topology = topology }

    public func render() -> KernelState {
        let renderer = ClusterRenderer(topology: topology, placement: .lab)
        var state = KernelState()
        renderer.renderUnderlay(into: &state)
        for node in topology.nodes { renderer.renderNode(node, into: &state) }
        for pod in topology.pods { renderer.renderPod(pod, into: &state) }
        for link in topology.links { renderer.renderDirectLink(link, into: &state) }
        for client in topology.clients { renderer.renderClient(client, into: &state) }
        return state
    }
}

/// Topology → what host mode wants on node `node` of a real cluster (`--node`):
/// the node is the namespace podnet runs in, its uplink an interface that exists
/// already (never created, changed or deleted); only this node's bridge, tunnel,
/// routes (with podnet's route protocol), and its own pods' namespaces.
public struct HostRenderer: Sendable {
    public let topology: Topology
    public let node: Node
    /// The node's existing uplink (`nodes[].interface`, or the one holding its address).
    public let uplink: String

    public init(topology: Topology, node: Node, uplink: String) {
        self.topology = topology
        self.node = node
        self.uplink = uplink
    }

    public func render() -> KernelState {
        let renderer = ClusterRenderer(topology: topology, placement: .host(node: node.name, uplink: uplink))
        var state = KernelState()
        renderer.renderNode(node, into: &state)
        for pod in topology.pods(on: node.name) { renderer.renderPod(pod, into: &state) }
        for link in topology.links where link.pods.allSatisfy({ topology.pod(named: $0)?.node == node.name }) {
            renderer.renderDirectLink(link, into: &state)
        }
        return state
    }

    /// The mark role of host-mode pod objects: `pod/NAME@NODE`. Every host of a
    /// cluster sees the same /run/netns when they are emulated on one machine, and a
    /// host must own only its own pods.
    public static func podRole(_ pod: String, node: String) -> String { "pod/\(pod)@\(node)" }

    /// Whether a mark role is of a pod of `node` in host mode.
    public static func role(_ role: String, isOfNode node: String) -> Bool { role.hasSuffix("@\(node)") }
}

/// What lab and host mode share: a node's bridge, sysctls and cross-node objects,
/// the pods and their veths; only where the node lives differs.
struct ClusterRenderer {
    enum Placement {
        /// Every node is a namespace `CLUSTER.NODE` with `eth0` on the lab underlay.
        case lab
        /// `node` is the current namespace, reaching the others through `uplink`.
        case host(node: String, uplink: String)
    }

    let topology: Topology
    let placement: Placement
    /// Built once: each indexes the pods for every node's table or ruleset.
    let proxy: NFTablesProxyRenderer
    let iptablesProxy: IPTablesProxyRenderer
    let policies: NetworkPolicyRenderer

    init(topology: Topology, placement: Placement) {
        self.topology = topology
        self.placement = placement
        proxy = NFTablesProxyRenderer(topology: topology)
        iptablesProxy = IPTablesProxyRenderer(topology: topology)
        policies = NetworkPolicyRenderer(topology: topology)
    }

    private var cluster: String { topology.name }

    private func mark(_ role: String) -> OwnershipMark { OwnershipMark(cluster: cluster, role: role) }

    private func nodeNamespace(_ node: String) -> NamespaceRef {
        if case .host = placement { return .current }
        return .named(KernelNames.namespace(cluster: cluster, member: node))
    }

    private var routeProtocol: UInt8 {
        if case .host = placement { return Route.protocolPodnet }
        return Route.protocolBoot
    }

    private func podRole(_ pod: Pod) -> String {
        if case .host(let node, _) = placement { return HostRenderer.podRole(pod.name, node: node) }
        return "pod/\(pod.name)"
    }

    /// A namespace podnet owns, with `lo` up and carrying the namespace's mark.
    private func addNamespace(_ name: String, role: String, into state: inout KernelState) -> NamespaceRef {
        state.insert(Namespace(name: name, mark: mark(role)))
        let ref = NamespaceRef.named(name)
        state.insert(Link(id: .init(ref, "lo"), kind: .loopback, up: true, mark: mark(role)))
        return ref
    }

    func renderUnderlay(into state: inout KernelState) {
        let namespace = addNamespace(KernelNames.underlayNamespace(cluster: cluster), role: "underlay", into: &state)
        state.insert(Link(id: .init(namespace, KernelNames.underlayBridge), kind: .bridge, mtu: topology.network.mtu,
                          up: true, mark: mark("underlay"),
                          mac: KernelNames.bridgeMAC(cluster: cluster, namespace: "underlay", bridge: KernelNames.underlayBridge)))
    }

    func renderNode(_ node: Node, into state: inout KernelState) {
        let role = "node/\(node.name)"
        let namespace: NamespaceRef
        let uplink: String
        switch placement {
        case .lab:
            namespace = addNamespace(KernelNames.namespace(cluster: cluster, member: node.name), role: role, into: &state)
            uplink = KernelNames.nodeUplink
            renderLabUplink(node, namespace: namespace, role: role, into: &state)
        case .host(_, let hostUplink):
            namespace = .current
            uplink = hostUplink
        }
        for family in topology.families { state.insert(NodeSysctls.forwarding(family, namespace: namespace)) }
        if case .lab = placement, topology.usesIPv6 {
            for sysctl in NodeSysctls.noDuplicateAddressDetection(namespace: namespace) { state.insert(sysctl) }
        }
        if let bridge = node.bridge {
            let bridgeID = Link.ID(namespace, bridge)
            state.insert(Link(id: bridgeID, kind: .bridge, mtu: topology.podMTU, up: true, mark: mark(role),
                              mac: KernelNames.bridgeMAC(cluster: cluster, namespace: node.name, bridge: bridge)))
            for family in topology.families {
                guard let gateway = node.gateway(family), let podCIDR = node.podCIDR(family) else { continue }
                state.insert(Address(link: bridgeID, address: IPPrefix(address: gateway, length: podCIDR.length)))
            }
            for sysctl in NodeSysctls.noRedirects(bridge: bridge, namespace: namespace) { state.insert(sysctl) }
        }
        CrossNodeRenderer(topology: topology, namespace: namespace, uplink: uplink,
                          routeProtocol: routeProtocol, mark: mark(role)).render(node, into: &state)
        for family in topology.families {
            if let table = proxy.table(forNode: node, in: namespace, family: family) { state.insert(table) }
        }
        if let table = policies.table(forNode: node, in: namespace) { state.insert(table) }
        let iptables = iptablesProxy.ruleset(forNode: node, in: namespace)
        for chain in iptables.chains { state.insert(chain) }
        for rule in iptables.rules { state.insert(rule) }
        IPVSProxyRenderer(topology: topology).objects(forNode: node, in: namespace)
            .insert(into: &state, cluster: cluster, namespace: namespace)
        // Policies filter pods of one bridge too: their frames must cross the IP hooks.
        if !topology.services.isEmpty || !topology.networkPolicies.isEmpty, node.bridge != nil {
            for family in topology.families { state.insert(NodeSysctls.bridgedTrafficThroughIPHooks(family, namespace: namespace)) }
        }
        if !topology.services.isEmpty, let bridge = node.bridge {
            // A lab node has no default route, and a process's connect() needs a route
            // before any nat hook can DNAT: the node itself reaches ClusterIPs through
            // this one. A real host (host mode) has its default route for that.
            if case .lab = placement {
                for family in topology.families {
                    guard let serviceCIDR = topology.serviceCIDR(family) else { continue }
                    state.insert(Route(id: .init(namespace: namespace, destination: serviceCIDR), device: bridge,
                                       protocol: routeProtocol))
                }
            }
        }
    }

    /// Lab mode: the node's `eth0` on the underlay bridge, carrying its address.
    private func renderLabUplink(_ node: Node, namespace: NamespaceRef, role: String, into state: inout KernelState) {
        let underlay = NamespaceRef.named(KernelNames.underlayNamespace(cluster: cluster))
        let uplink = Link.ID(namespace, KernelNames.nodeUplink)
        let port = Link.ID(underlay, KernelNames.peerEnd(of: node.name))
        state.insert(Link(id: uplink, kind: .veth(peer: port), mtu: topology.network.mtu, up: true, mark: mark(role)))
        state.insert(Link(id: port, kind: .veth(peer: uplink), mtu: topology.network.mtu, up: true,
                          master: KernelNames.underlayBridge, mark: mark(role),
                          alternativeNames: [KernelNames.peerAlternativeName(kind: "node", member: node.name)]))
        // Every family the underlay has, whatever the pods': an IPv6-only cluster's nodes
        // keep their IPv4 underlay addresses (VXLAN's and sit's outer packets).
        for family in AddressFamily.allCases {
            guard let address = node.address(family), let underlay = topology.underlayCIDR(family) else { continue }
            state.insert(Address(link: uplink, address: IPPrefix(address: address, length: underlay.length)))
        }
    }

    /// Lab mode: a host outside the cluster (`clients[]`), plugged into the underlay
    /// like a node: `eth0` on the underlay bridge at the client's address, and a /32
    /// route for every external IP via the node that receives it
    /// (`ExternalIPAnnouncement`). Node addresses are on-link already.
    func renderClient(_ client: Client, into state: inout KernelState) {
        let role = "client/\(client.name)"
        let namespace = addNamespace(KernelNames.namespace(cluster: cluster, member: client.name), role: role, into: &state)
        let underlay = NamespaceRef.named(KernelNames.underlayNamespace(cluster: cluster))
        let eth0 = Link.ID(namespace, KernelNames.clientInterface)
        let port = Link.ID(underlay, KernelNames.peerEnd(of: client.name))
        state.insert(Link(id: eth0, kind: .veth(peer: port), mtu: topology.network.mtu, up: true, mark: mark(role)))
        state.insert(Link(id: port, kind: .veth(peer: eth0), mtu: topology.network.mtu, up: true,
                          master: KernelNames.underlayBridge, mark: mark(role),
                          alternativeNames: [KernelNames.peerAlternativeName(kind: "client", member: client.name)]))
        for family in AddressFamily.allCases {
            guard let address = client.address(family), let underlay = topology.underlayCIDR(family) else { continue }
            state.insert(Address(link: eth0, address: IPPrefix(address: address, length: underlay.length)))
        }
        for service in topology.services {
            guard let node = ExternalIPAnnouncement.node(for: service, in: topology) else { continue }
            for externalIP in service.externalIPs {
                let id = Route.ID(namespace: namespace, destination: IPPrefix(address: externalIP, length: externalIP.family.addressBits))
                // Two services sharing an external IP (on different ports): the first one's node takes it.
                // Via the node's address of the external IP's family, where the underlay has it.
                guard state.routes[id] == nil, let gateway = node.address(externalIP.family) else { continue }
                state.insert(Route(id: id, gateway: gateway, device: KernelNames.clientInterface, protocol: routeProtocol))
            }
        }
    }

    func renderPod(_ pod: Pod, into state: inout KernelState) {
        let role = podRole(pod)
        let namespace = addNamespace(KernelNames.namespace(cluster: cluster, member: pod.name), role: role, into: &state)
        guard let node = topology.node(named: pod.node), let bridge = node.bridge else { return }
        let podEnd = Link.ID(namespace, KernelNames.podInterface)
        let hostEnd = Link.ID(nodeNamespace(node.name), KernelNames.peerEnd(of: pod.name))
        let mtu = topology.podMTU
        state.insert(Link(id: podEnd, kind: .veth(peer: hostEnd), mtu: mtu, up: true, mark: mark(role)))
        // Hairpin lets a pod reach itself through a Service VIP (seed 003 §5, case 3).
        state.insert(Link(id: hostEnd, kind: .veth(peer: podEnd), mtu: mtu, up: true, master: bridge, hairpin: true,
                          mark: mark(role), alternativeNames: [KernelNames.peerAlternativeName(kind: "pod", member: pod.name)]))
        for family in topology.families {
            guard let address = pod.ip(family), let podCIDR = node.podCIDR(family), let gateway = node.gateway(family) else { continue }
            state.insert(Address(link: podEnd, address: IPPrefix(address: address, length: podCIDR.length)))
            state.insert(Route(id: .init(namespace: namespace, destination: .everything(family)),
                               gateway: gateway, device: KernelNames.podInterface))
        }
    }

    /// A direct veth pair between two pods of a bridge-less node (seed 003 §3.1).
    func renderDirectLink(_ link: PodnetTopology.Link, into state: inout KernelState) {
        guard link.pods.count == 2, let a = topology.pod(named: link.pods[0]), let b = topology.pod(named: link.pods[1]),
              let node = topology.node(named: a.node) else { return }
        let aEnd = Link.ID(.named(KernelNames.namespace(cluster: cluster, member: a.name)), KernelNames.podInterface)
        let bEnd = Link.ID(.named(KernelNames.namespace(cluster: cluster, member: b.name)), KernelNames.podInterface)
        let mtu = topology.podMTU
        // Both ends carry one mark: the live reader pairs veth ends by it.
        var role = "link/\(a.name),\(b.name)"
        if case .host(let host, _) = placement { role += "@\(host)" }
        state.insert(Link(id: aEnd, kind: .veth(peer: bEnd), mtu: mtu, up: true, mark: mark(role)))
        state.insert(Link(id: bEnd, kind: .veth(peer: aEnd), mtu: mtu, up: true, mark: mark(role)))
        for family in topology.families {
            guard let podCIDR = node.podCIDR(family) else { continue }
            for (end, pod) in [(aEnd, a), (bEnd, b)] {
                guard let address = pod.ip(family) else { continue }
                state.insert(Address(link: end, address: IPPrefix(address: address, length: podCIDR.length)))
            }
        }
    }
}
