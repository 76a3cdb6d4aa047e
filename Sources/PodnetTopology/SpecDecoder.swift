import PodnetAddress
import PodnetYAML

/// Reads the YAML tree into a `TopologySpec`: shapes and types only. Meaning
/// (ranges of addresses, references, overlaps) is the resolver's.
struct SpecDecoder {
    let read: FieldReader

    init(log: DiagnosticLog) { read = FieldReader(log: log) }

    static let topLevelKeys = ["name", "clusterCIDR", "serviceCIDR", "network", "proxy", "underlay", "nodes", "pods", "links", "services", "clients",
                               "namespaces", "networkPolicies"]

    func decode(_ root: YAMLNode) -> TopologySpec {
        var spec = TopologySpec(mark: root.mark)
        guard let fields = read.mapping(root, "the topology", keys: Self.topLevelKeys, required: ["name", "clusterCIDR", "nodes"]) else {
            return spec
        }
        spec.name = field(fields, "name", &spec.invalid) { read.string($0, "the cluster name") }
        if let cidrs = field(fields, "clusterCIDR", &spec.invalid, { read.prefixes($0, "clusterCIDR") }) {
            (spec.clusterCIDR, spec.clusterCIDRv6, spec.clusterPrimary) = (cidrs.ipv4, cidrs.ipv6, cidrs.primary)
        }
        if let cidrs = field(fields, "serviceCIDR", &spec.invalid, { read.prefixes($0, "serviceCIDR") }) {
            (spec.serviceCIDR, spec.serviceCIDRv6, spec.servicePrimary) = (cidrs.ipv4, cidrs.ipv6, cidrs.primary)
        }
        if let network = fields["network"] { decodeNetwork(network, into: &spec) }
        if let proxy = fields["proxy"], let proxyFields = read.mapping(proxy, "proxy", keys: ["mode", "nodePortRange"]) {
            spec.proxyMode = proxyFields["mode"].flatMap { read.choice($0, "proxy mode", as: Proxy.Mode.self) }
            spec.nodePortRange = field(proxyFields, "nodePortRange", &spec.invalid, as: "proxy.nodePortRange") {
                read.portRange($0, "proxy.nodePortRange")
            }
        }
        if let underlay = fields["underlay"], let underlayFields = read.mapping(underlay, "underlay", keys: ["cidr"]) {
            if let cidrs = field(underlayFields, "cidr", &spec.invalid, as: "underlay.cidr", { read.prefixes($0, "underlay.cidr") }) {
                (spec.underlayCIDR, spec.underlayCIDRv6) = (cidrs.ipv4, cidrs.ipv6)
            }
        } else if fields["underlay"] != nil {
            spec.invalid.insert("underlay.cidr")
        }
        if let nodes = fields["nodes"], case .sequence(let items) = nodes.content, items.isEmpty {
            spec.emptyNodesMark = nodes.mark
        }
        spec.nodes = items(fields["nodes"], "nodes").compactMap(decodeNode)
        spec.pods = items(fields["pods"], "pods").compactMap(decodePod)
        spec.links = items(fields["links"], "links").compactMap(decodeLink)
        spec.services = items(fields["services"], "services").compactMap(decodeService)
        spec.clients = items(fields["clients"], "clients").compactMap(decodeClient)
        spec.namespaces = decodeNamespaces(fields["namespaces"])
        spec.networkPolicies = decodeNetworkPolicies(fields["networkPolicies"])
        return spec
    }

    /// Reads an optional field; one present but unreadable is recorded in `invalid`
    /// (under `path`, default the key).
    private func field<Value>(_ fields: [String: YAMLNode], _ key: String, _ invalid: inout Set<String>, as path: String? = nil,
                              _ read: (YAMLNode) -> Value?) -> Value? {
        guard let node = fields[key] else { return nil }
        let value = read(node)
        if value == nil { invalid.insert(path ?? key) }
        return value
    }

    private func items(_ node: YAMLNode?, _ what: String) -> [YAMLNode] {
        guard let node else { return [] }
        return read.sequence(node, what) ?? []
    }

    private func decodeNetwork(_ node: YAMLNode, into spec: inout TopologySpec) {
        guard let fields = read.mapping(node, "network", keys: ["backend", "mtu", "masquerade", "vxlan"]) else {
            spec.invalid.insert("network")
            return
        }
        spec.backend = field(fields, "backend", &spec.invalid, as: "network.backend") { read.choice($0, "network backend", as: Network.Backend.self) }
        spec.mtu = fields["mtu"].flatMap { read.int($0, "network.mtu", in: 576...9216) }
        spec.masquerade = fields["masquerade"].flatMap { read.bool($0, "network.masquerade") }
        guard let vxlan = fields["vxlan"] else { return }
        guard let vxlanFields = read.mapping(vxlan, "network.vxlan", keys: ["vni", "port", "discovery", "group"]) else {
            spec.invalid.insert("network.vxlan")
            return
        }
        spec.vxlanMark = vxlan.mark
        spec.vni = vxlanFields["vni"].flatMap { read.int($0, "the VXLAN network identifier (vni)", in: 0...16_777_215) }
        spec.vxlanPort = vxlanFields["port"].flatMap { read.int($0, "the VXLAN port", in: 1...65535) }
        spec.discovery = field(vxlanFields, "discovery", &spec.invalid, as: "network.vxlan") { read.choice($0, "VXLAN discovery", as: VXLAN.Discovery.self) }
        spec.group = field(vxlanFields, "group", &spec.invalid, as: "network.vxlan") { read.address($0, "the VXLAN multicast group") }
    }

    private func decodeNode(_ node: YAMLNode) -> NodeSpec? {
        guard let fields = read.mapping(node, "a node", keys: ["name", "address", "podCIDR", "bridge", "interface"], required: ["name"]) else {
            return nil
        }
        var spec = NodeSpec(mark: node.mark)
        spec.name = field(fields, "name", &spec.invalid) { read.string($0, "the node name") }
        if let addresses = field(fields, "address", &spec.invalid, { read.addresses($0, "the node address") }) {
            (spec.address, spec.addressV6) = (addresses.ipv4, addresses.ipv6)
        }
        if let podCIDRs = field(fields, "podCIDR", &spec.invalid, { read.prefixes($0, "podCIDR") }) {
            (spec.podCIDR, spec.podCIDRv6) = (podCIDRs.ipv4, podCIDRs.ipv6)
        }
        spec.bridge = field(fields, "bridge", &spec.invalid) { read.string($0, "the bridge name") }
        spec.interface = field(fields, "interface", &spec.invalid) { read.string($0, "the interface name") }
        return spec
    }

    private func decodePod(_ node: YAMLNode) -> PodSpec? {
        guard let fields = read.mapping(node, "a pod", keys: ["name", "node", "ip", "labels", "namespace", "ports"], required: ["name", "node"]) else {
            return nil
        }
        var spec = PodSpec(mark: node.mark)
        spec.name = field(fields, "name", &spec.invalid) { read.string($0, "the pod name") }
        spec.node = field(fields, "node", &spec.invalid) { read.string($0, "the pod's node") }
        if let addresses = field(fields, "ip", &spec.invalid, { read.addresses($0, "the pod address") }) {
            (spec.ip, spec.ipv6) = (addresses.ipv4, addresses.ipv6)
        }
        spec.labels = field(fields, "labels", &spec.invalid) { read.stringMap($0, "labels")?.value } ?? [:]
        decodePodScope(fields, into: &spec)
        return spec
    }

    private func decodeLink(_ node: YAMLNode) -> LinkSpec? {
        guard let fields = read.mapping(node, "a link", keys: ["pods"], required: ["pods"]) else { return nil }
        let items = fields["pods"].flatMap { read.sequence($0, "the pods of a link") }
        let pods = items?.compactMap { read.string($0, "a pod name") }
        // One unreadable name is reported once; the link is then left out whole.
        return LinkSpec(mark: node.mark, pods: pods?.count == items?.count ? pods : nil)
    }

    private func decodeService(_ node: YAMLNode) -> ServiceSpec? {
        guard let fields = read.mapping(node, "a service", keys: Self.serviceKeys, required: ["name", "ports"]) else {
            return nil
        }
        var service = ServiceSpec(mark: node.mark)
        service.name = field(fields, "name", &service.invalid) { read.string($0, "the service name") }
        if let addresses = field(fields, "clusterIP", &service.invalid, { read.addresses($0, "the clusterIP") }) {
            (service.clusterIP, service.clusterIPv6, service.clusterIPPrimary) = (addresses.ipv4, addresses.ipv6, addresses.primary)
        }
        service.ipFamilies = field(fields, "ipFamilies", &service.invalid) { read.families($0, "ipFamilies") }
        service.selector = field(fields, "selector", &service.invalid) { read.stringMap($0, "the selector") }
        service.endpoints = field(fields, "endpoints", &service.invalid) { node in
            read.sequence(node, "endpoints").flatMap { items in
                let names = items.compactMap { read.string($0, "an endpoint pod name") }
                return names.count == items.count ? Located(value: names, mark: node.mark) : nil
            }
        }
        service.ports = field(fields, "ports", &service.invalid) { node in
            read.sequence(node, "ports").flatMap { items in
                let ports = items.compactMap(decodePort)
                let complete = ports.count == items.count && ports.allSatisfy { $0.port != nil && $0.invalid.isEmpty }
                return complete ? Located(value: ports, mark: node.mark) : nil
            }
        }
        service.type = field(fields, "type", &service.invalid) { read.choice($0, "service type", as: ServiceType.self) }
        service.externalIPs = field(fields, "externalIPs", &service.invalid) { node in
            read.sequence(node, "externalIPs").flatMap { items in
                let addresses = items.compactMap { read.addressOfEitherFamily($0, "an external IP") }
                return addresses.count == items.count ? Located(value: addresses, mark: node.mark) : nil
            }
        }
        service.externalTrafficPolicy = field(fields, "externalTrafficPolicy", &service.invalid) {
            read.choice($0, "externalTrafficPolicy", as: TrafficPolicy.self)
        }
        service.internalTrafficPolicy = field(fields, "internalTrafficPolicy", &service.invalid) {
            read.choice($0, "internalTrafficPolicy", as: TrafficPolicy.self)
        }
        service.sessionAffinity = field(fields, "sessionAffinity", &service.invalid) {
            read.choice($0, "sessionAffinity", as: SessionAffinitySpelling.self)
        }
        // Kubernetes' bounds for sessionAffinityConfig.clientIP.timeoutSeconds.
        service.sessionAffinityTimeoutSeconds = field(fields, "sessionAffinityTimeoutSeconds", &service.invalid) {
            read.int($0, "sessionAffinityTimeoutSeconds", in: 1...86400)
        }
        decodeServiceScope(fields, into: &service)
        return service
    }

    static let serviceKeys = ["name", "clusterIP", "ipFamilies", "selector", "endpoints", "ports", "type", "externalIPs",
                              "externalTrafficPolicy", "internalTrafficPolicy", "sessionAffinity", "sessionAffinityTimeoutSeconds",
                              "namespace"]

    private func decodePort(_ node: YAMLNode) -> PortSpec? {
        guard let fields = read.mapping(node, "a service port", keys: ["port", "targetPort", "protocol", "nodePort"], required: ["port"]) else {
            return nil
        }
        var port = PortSpec(mark: node.mark)
        port.port = field(fields, "port", &port.invalid) { read.int($0, "port", in: 1...65535) }
        port.targetPort = field(fields, "targetPort", &port.invalid) { read.int($0, "targetPort", in: 1...65535) }
        port.protocol = field(fields, "protocol", &port.invalid) { read.choice($0, "protocol", as: ServicePort.TransportProtocol.self) }
        // Any port here; whether it lies in proxy.nodePortRange is resolution's, which knows the range.
        port.nodePort = field(fields, "nodePort", &port.invalid) { read.int($0, "nodePort", in: 1...65535) }
        return port
    }

    private func decodeClient(_ node: YAMLNode) -> ClientSpec? {
        guard let fields = read.mapping(node, "a client", keys: ["name", "address"], required: ["name"]) else { return nil }
        var spec = ClientSpec(mark: node.mark)
        spec.name = field(fields, "name", &spec.invalid) { read.string($0, "the client name") }
        if let addresses = field(fields, "address", &spec.invalid, { read.addresses($0, "the client address") }) {
            (spec.address, spec.addressV6) = (addresses.ipv4, addresses.ipv6)
        }
        return spec
    }
}


