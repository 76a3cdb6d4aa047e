import PodnetAddress
import PodnetYAML

/// Reads the YAML tree into a `TopologySpec`: shapes and types only. Meaning
/// (ranges of addresses, references, overlaps) is the resolver's.
struct SpecDecoder {
    let read: FieldReader

    init(log: DiagnosticLog) { read = FieldReader(log: log) }

    static let topLevelKeys = ["name", "clusterCIDR", "serviceCIDR", "network", "proxy", "underlay", "nodes", "pods", "links", "services"]

    func decode(_ root: YAMLNode) -> TopologySpec {
        var spec = TopologySpec(mark: root.mark)
        guard let fields = read.mapping(root, "the topology", keys: Self.topLevelKeys, required: ["name", "clusterCIDR", "nodes"]) else {
            return spec
        }
        spec.name = fields["name"].flatMap { read.string($0, "the cluster name") }
        spec.clusterCIDR = fields["clusterCIDR"].flatMap { read.prefix($0, "clusterCIDR") }
        spec.serviceCIDR = fields["serviceCIDR"].flatMap { read.prefix($0, "serviceCIDR") }
        if let network = fields["network"] { decodeNetwork(network, into: &spec) }
        if let proxy = fields["proxy"], let proxyFields = read.mapping(proxy, "proxy", keys: ["mode"]) {
            spec.proxyMode = proxyFields["mode"].flatMap { read.choice($0, "proxy mode", as: Proxy.Mode.self) }
        }
        if let underlay = fields["underlay"], let underlayFields = read.mapping(underlay, "underlay", keys: ["cidr"]) {
            spec.underlayCIDR = underlayFields["cidr"].flatMap { read.prefix($0, "underlay.cidr") }
        }
        spec.nodesMark = fields["nodes"]?.mark
        spec.nodes = items(fields["nodes"], "nodes").compactMap(decodeNode)
        spec.pods = items(fields["pods"], "pods").compactMap(decodePod)
        spec.links = items(fields["links"], "links").compactMap(decodeLink)
        spec.services = items(fields["services"], "services").compactMap(decodeService)
        return spec
    }

    private func items(_ node: YAMLNode?, _ what: String) -> [YAMLNode] {
        guard let node else { return [] }
        return read.sequence(node, what) ?? []
    }

    private func decodeNetwork(_ node: YAMLNode, into spec: inout TopologySpec) {
        guard let fields = read.mapping(node, "network", keys: ["backend", "mtu", "masquerade", "vxlan"]) else { return }
        spec.backend = fields["backend"].flatMap { read.choice($0, "network backend", as: Network.Backend.self) }
        spec.mtu = fields["mtu"].flatMap { read.int($0, "network.mtu", in: 576...9216) }
        spec.masquerade = fields["masquerade"].flatMap { read.bool($0, "network.masquerade") }
        guard let vxlan = fields["vxlan"],
              let vxlanFields = read.mapping(vxlan, "network.vxlan", keys: ["vni", "port", "discovery", "group"]) else { return }
        spec.vxlanMark = vxlan.mark
        spec.vni = vxlanFields["vni"].flatMap { read.int($0, "the VXLAN network identifier (vni)", in: 0...16_777_215) }
        spec.vxlanPort = vxlanFields["port"].flatMap { read.int($0, "the VXLAN port", in: 1...65535) }
        spec.discovery = vxlanFields["discovery"].flatMap { read.choice($0, "VXLAN discovery", as: VXLAN.Discovery.self) }
        spec.group = vxlanFields["group"].flatMap { read.address($0, "the VXLAN multicast group") }
    }

    private func decodeNode(_ node: YAMLNode) -> NodeSpec? {
        guard let fields = read.mapping(node, "a node", keys: ["name", "address", "podCIDR", "bridge", "interface"], required: ["name"]) else {
            return nil
        }
        return NodeSpec(
            mark: node.mark,
            name: fields["name"].flatMap { read.string($0, "the node name") },
            address: fields["address"].flatMap { read.address($0, "the node address") },
            podCIDR: fields["podCIDR"].flatMap { read.prefix($0, "podCIDR") },
            bridge: fields["bridge"].flatMap { read.string($0, "the bridge name") },
            interface: fields["interface"].flatMap { read.string($0, "the interface name") })
    }

    private func decodePod(_ node: YAMLNode) -> PodSpec? {
        guard let fields = read.mapping(node, "a pod", keys: ["name", "node", "ip", "labels"], required: ["name", "node"]) else {
            return nil
        }
        return PodSpec(
            mark: node.mark,
            name: fields["name"].flatMap { read.string($0, "the pod name") },
            node: fields["node"].flatMap { read.string($0, "the pod's node") },
            ip: fields["ip"].flatMap { read.address($0, "the pod address") },
            labels: fields["labels"].flatMap { read.stringMap($0, "labels")?.value } ?? [:])
    }

    private func decodeLink(_ node: YAMLNode) -> LinkSpec? {
        guard let fields = read.mapping(node, "a link", keys: ["pods"], required: ["pods"]) else { return nil }
        let pods = fields["pods"].flatMap { read.sequence($0, "the pods of a link") }
        return LinkSpec(mark: node.mark, pods: pods?.compactMap { read.string($0, "a pod name") })
    }

    private func decodeService(_ node: YAMLNode) -> ServiceSpec? {
        guard let fields = read.mapping(node, "a service", keys: ["name", "clusterIP", "selector", "endpoints", "ports"], required: ["name", "ports"]) else {
            return nil
        }
        var service = ServiceSpec(mark: node.mark)
        service.name = fields["name"].flatMap { read.string($0, "the service name") }
        service.clusterIP = fields["clusterIP"].flatMap { read.address($0, "the clusterIP") }
        service.selector = fields["selector"].flatMap { read.stringMap($0, "the selector") }
        if let endpoints = fields["endpoints"], let items = read.sequence(endpoints, "endpoints") {
            service.endpoints = Located(value: items.compactMap { read.string($0, "an endpoint pod name") }, mark: endpoints.mark)
        }
        if let ports = fields["ports"], let items = read.sequence(ports, "ports") {
            service.ports = Located(value: items.compactMap(decodePort), mark: ports.mark)
        }
        return service
    }

    private func decodePort(_ node: YAMLNode) -> PortSpec? {
        guard let fields = read.mapping(node, "a service port", keys: ["port", "targetPort", "protocol"], required: ["port"]) else {
            return nil
        }
        return PortSpec(
            mark: node.mark,
            port: fields["port"].flatMap { read.int($0, "port", in: 1...65535) },
            targetPort: fields["targetPort"].flatMap { read.int($0, "targetPort", in: 1...65535) },
            protocol: fields["protocol"].flatMap { read.choice($0, "protocol", as: ServicePort.TransportProtocol.self) })
    }
}

extension ServiceSpec {
    init(mark: SourceMark) { self.mark = mark }
}
