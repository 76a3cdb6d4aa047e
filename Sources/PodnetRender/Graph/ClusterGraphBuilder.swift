import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// Topology and its rendered lab state → `ClusterGraph`. Kernel names come from the
/// rendered state (what `apply` creates), not recomputed, so the picture names what
/// `ip -n` shows.
public struct ClusterGraphBuilder: Sendable {
    public let topology: Topology
    public let state: KernelState

    public init(topology: Topology, state: KernelState) {
        self.topology = topology
        self.state = state
    }

    /// The lab's picture: `LabRenderer`'s state for the topology.
    public init(topology: Topology) {
        self.init(topology: topology, state: LabRenderer(topology: topology).render())
    }

    public static let underlayID = "underlay"
    public static func nodeID(_ name: String) -> String { "node:\(name)" }
    public static func bridgeID(node: String, bridge: String) -> String { "bridge:\(node)/\(bridge)" }
    public static func tunnelID(node: String, device: String) -> String { "tunnel:\(node)/\(device)" }
    public static func podID(_ name: String) -> String { "pod:\(name)" }
    public static func clientID(_ name: String) -> String { "client:\(name)" }
    public static func serviceID(namespace: String, name: String) -> String { "service:\(namespace)/\(name)" }

    private var cluster: String { topology.name }

    private func namespace(of member: String) -> NamespaceRef {
        .named(KernelNames.namespace(cluster: cluster, member: member))
    }

    public func build() -> ClusterGraph {
        var graph = ClusterGraph(cluster: cluster)
        addUnderlay(to: &graph)
        for node in topology.nodes { addNode(node, to: &graph) }
        addRoutesBetweenNodes(to: &graph)
        for pod in topology.pods { addPod(pod, to: &graph) }
        for link in topology.links { addDirectLink(link, to: &graph) }
        for client in topology.clients { addClient(client, to: &graph) }
        for service in topology.services { addService(service, to: &graph) }
        return graph
    }

    /// Appends `edge`, standing for `objects` (marked when they differ live).
    private func append(_ edge: ClusterGraph.Edge, standingFor objects: [ClusterGraph.KernelObject], to graph: inout ClusterGraph) {
        for object in objects { graph.owners[object] = .edge(graph.edges.count) }
        graph.edges.append(edge)
    }

    private func append(_ node: ClusterGraph.Node, standingFor objects: [ClusterGraph.KernelObject], to graph: inout ClusterGraph) {
        for object in objects { graph.owners[object] = .node(node.id) }
        graph.nodes.append(node)
    }

    private func linkObject(_ id: PodnetKernelModel.Link.ID) -> ClusterGraph.KernelObject {
        .link(namespace: id.namespace.description, name: id.name)
    }

    private func addUnderlay(to graph: inout ClusterGraph) {
        let namespace = KernelNames.underlayNamespace(cluster: cluster)
        append(.init(id: Self.underlayID, kind: .underlay,
                     label: ["underlay", Self.perFamily(topology.underlay.cidr, topology.ipv6?.underlayCIDR), "netns \(namespace), bridge \(KernelNames.underlayBridge)"],
                     kernelNames: [namespace, KernelNames.underlayBridge]),
               standingFor: [.namespace(namespace), .link(namespace: namespace, name: KernelNames.underlayBridge)], to: &graph)
    }

    /// The veth end `name` in `namespace` and its peer, as `near ↔ far (altname)`.
    private func vethPair(_ near: PodnetKernelModel.Link.ID) -> (label: String, names: [String], objects: [ClusterGraph.KernelObject])? {
        guard let link = state.links[near], case .veth(let peerID) = link.kind else { return nil }
        let peer = state.links[peerID]
        let alternative = peer?.alternativeNames.first.map { " (\($0))" } ?? ""
        return ("\(near.name) ↔ \(peerID.name)\(alternative)", [near.name, peerID.name] + (peer?.alternativeNames ?? []),
                [linkObject(near), linkObject(peerID)])
    }

    /// Underlay-facing veth: `eth0` of a node or client, its port on the underlay bridge.
    private func addUnderlayPort(member: String, memberID: String, to graph: inout ClusterGraph) {
        let pair = vethPair(PodnetKernelModel.Link.ID(namespace(of: member), KernelNames.nodeUplink))
        append(.init(from: memberID, to: Self.underlayID, kind: .veth, label: pair?.label, kernelNames: pair?.names ?? []),
               standingFor: pair?.objects ?? [], to: &graph)
    }

    private func addNode(_ node: Node, to graph: inout ClusterGraph) {
        let id = Self.nodeID(node.name)
        let netns = KernelNames.namespace(cluster: cluster, member: node.name)
        append(.init(id: id, kind: .node,
                     label: [node.name, "\(KernelNames.nodeUplink) \(Self.perFamily(node.address, node.addressV6))",
                             "pods \(Self.perFamily(node.podCIDR, node.podCIDRv6))", "netns \(netns)"],
                     kernelNames: [netns, KernelNames.nodeUplink], group: id), standingFor: [.namespace(netns)], to: &graph)
        addUnderlayPort(member: node.name, memberID: id, to: &graph)
        if let bridge = node.bridge {
            let bridgeID = Self.bridgeID(node: node.name, bridge: bridge)
            let gateways = Self.perFamily(node.gateway.flatMap { gateway in node.podCIDR.map { "\(gateway)/\($0.length)" } },
                                          node.gatewayV6.flatMap { gateway in node.podCIDRv6.map { "\(gateway)/\($0.length)" } })
            append(.init(id: bridgeID, kind: .bridge, label: [bridge, gateways],
                         kernelNames: [bridge], group: id), standingFor: [.link(namespace: netns, name: bridge)], to: &graph)
            graph.edges.append(.init(from: id, to: bridgeID, kind: .holds))
        }
        for link in state.links(in: namespace(of: node.name)) {
            let description: String
            switch link.kind {
            case .vxlan(let vxlan): description = "VXLAN VNI \(vxlan.vni), UDP \(vxlan.port)"
            case .ipip: description = "IP-in-IP"
            case .sit: description = "IPv6-in-IPv4 (sit)"
            default: continue
            }
            let tunnelID = Self.tunnelID(node: node.name, device: link.id.name)
            append(.init(id: tunnelID, kind: .tunnel, label: [link.id.name, description], kernelNames: [link.id.name], group: id),
                   standingFor: [linkObject(link.id)], to: &graph)
            graph.edges.append(.init(from: id, to: tunnelID, kind: .holds))
        }
    }

    /// A route in one node's namespace to another node's pod subnet: the path
    /// cross-node traffic takes (through a tunnel, or straight over the underlay).
    private func addRoutesBetweenNodes(to graph: inout ClusterGraph) {
        for source in topology.nodes {
            for target in topology.nodes where target.name != source.name {
                // One edge per family's route: each stands for its own kernel route.
                for podCIDR in topology.families.compactMap(target.podCIDR) {
                    addRoute(from: source, to: target, podCIDR: podCIDR, to: &graph)
                }
            }
        }
    }

    private func addRoute(from source: Node, to target: Node, podCIDR: IPPrefix, to graph: inout ClusterGraph) {
        let id = Route.ID(namespace: namespace(of: source.name), destination: podCIDR)
        guard let route = state.routes[id] else { return }
        var text = "\(podCIDR)"
        if let gateway = route.gateway { text += " via \(gateway)" }
        if let device = route.device { text += " dev \(device)" }
        let from = route.device.flatMap { device -> String? in
            let tunnel = Self.tunnelID(node: source.name, device: device)
            return graph.node(id: tunnel) == nil ? nil : tunnel
        } ?? Self.nodeID(source.name)
        append(.init(from: from, to: Self.nodeID(target.name), kind: .route, label: text,
                     kernelNames: route.device.map { [$0] } ?? []),
               standingFor: [.route(namespace: id.namespace.description, destination: "\(id.destination)")], to: &graph)
    }

    private func addPod(_ pod: Pod, to graph: inout ClusterGraph) {
        let id = Self.podID(pod.name)
        let netns = KernelNames.namespace(cluster: cluster, member: pod.name)
        var label = [pod.name, "\(KernelNames.podInterface) \(Self.perFamily(pod.ip, pod.ipv6))", "netns \(netns)"]
        if pod.namespace != PodnetTopology.Namespace.defaultName { label.insert("namespace \(pod.namespace)", at: 1) }
        append(.init(id: id, kind: .pod, label: label, kernelNames: [netns, KernelNames.podInterface], group: Self.nodeID(pod.node)),
               standingFor: [.namespace(netns)], to: &graph)
        guard let node = topology.node(named: pod.node) else { return }
        if let bridge = node.bridge {
            let pair = vethPair(PodnetKernelModel.Link.ID(namespace(of: pod.name), KernelNames.podInterface))
            append(.init(from: id, to: Self.bridgeID(node: node.name, bridge: bridge), kind: .veth,
                         label: pair?.label, kernelNames: pair?.names ?? []), standingFor: pair?.objects ?? [], to: &graph)
        } else if !topology.links.contains(where: { $0.pods.contains(pod.name) }) {
            graph.edges.append(.init(from: Self.nodeID(node.name), to: id, kind: .placement))
        }
    }

    private func addDirectLink(_ link: PodnetTopology.Link, to graph: inout ClusterGraph) {
        guard link.pods.count == 2 else { return }
        let (a, b) = (link.pods[0], link.pods[1])
        let label = "\(KernelNames.podInterface)@\(a) ↔ \(KernelNames.podInterface)@\(b)"
        let ends = [a, b].map { ClusterGraph.KernelObject.link(namespace: KernelNames.namespace(cluster: cluster, member: $0), name: KernelNames.podInterface) }
        append(.init(from: Self.podID(a), to: Self.podID(b), kind: .veth, label: label, kernelNames: [KernelNames.podInterface]),
               standingFor: ends, to: &graph)
    }

    private func addClient(_ client: Client, to graph: inout ClusterGraph) {
        let id = Self.clientID(client.name)
        let netns = KernelNames.namespace(cluster: cluster, member: client.name)
        append(.init(id: id, kind: .client, label: [client.name, "\(KernelNames.clientInterface) \(Self.perFamily(client.address, client.addressV6))", "netns \(netns)"],
                     kernelNames: [netns, KernelNames.clientInterface]), standingFor: [.namespace(netns)], to: &graph)
        addUnderlayPort(member: client.name, memberID: id, to: &graph)
    }

    private func addService(_ service: Service, to graph: inout ClusterGraph) {
        let id = Self.serviceID(namespace: service.namespace, name: service.name)
        var label = [service.namespace == PodnetTopology.Namespace.defaultName ? service.name : "\(service.namespace)/\(service.name)",
                     "\(service.type.rawValue) \(Self.perFamily(service.clusterIP, service.clusterIPv6))"]
        for port in service.ports {
            var text = "\(port.port)/\(port.protocol.rawValue) → \(port.targetPort)"
            if let nodePort = port.nodePort { text += ", NodePort \(nodePort)" }
            label.append(text)
        }
        if !service.externalIPs.isEmpty {
            label.append("external \(service.externalIPs.map { "\($0)" }.joined(separator: ", "))")
        }
        if service.acceptsExternalTraffic, service.externalTrafficPolicy == .local { label.append("externalTrafficPolicy Local") }
        if service.internalTrafficPolicy == .local { label.append("internalTrafficPolicy Local") }
        if let timeout = service.sessionAffinity.timeoutSeconds { label.append("affinity ClientIP \(timeout) s") }
        graph.nodes.append(.init(id: id, kind: .service, label: label, kernelNames: []))
        let targets = Set(service.ports.map(\.targetPort)).sorted().map(String.init).joined(separator: ",")
        for endpoint in service.endpoints {
            graph.edges.append(.init(from: id, to: Self.podID(endpoint), kind: .endpoint, label: ":\(targets)"))
        }
    }

    /// A value and its IPv6 counterpart, as a dual-stack label shows them:
    /// `10.200.0.2, fd00:200::2`; the IPv4 value alone where there is no IPv6 one.
    /// `10.200.0.2, fd00:200::2`: the values a thing has, IPv4's first; "-" for none.
    static func perFamily(_ ipv4: (some CustomStringConvertible)?, _ ipv6: (some CustomStringConvertible)?) -> String {
        let values = [ipv4?.description, ipv6?.description].compactMap { $0 }
        return values.isEmpty ? "-" : values.joined(separator: ", ")
    }
}
