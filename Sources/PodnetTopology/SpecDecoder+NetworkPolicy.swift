import PodnetAddress
import PodnetYAML

/// Reading `namespaces[]`, the namespace and ports of pods and services, and
/// `networkPolicies[]`: shapes and types only, as the rest of `SpecDecoder`.
/// Meaning (references, ranges, Kubernetes' rules) is `NetworkPolicyResolver`'s.
extension SpecDecoder {
    static let namespaceKeys = ["name", "labels"]
    static let podPortKeys = ["name", "port", "protocol"]
    static let policyKeys = ["name", "namespace", "podSelector", "policyTypes", "ingress", "egress"]
    static let peerKeys = ["podSelector", "namespaceSelector", "ipBlock"]
    static let ipBlockKeys = ["cidr", "except"]
    static let policyPortKeys = ["protocol", "port", "endPort"]
    static let selectorKeys = ["matchLabels", "matchExpressions"]
    static let requirementKeys = ["key", "operator", "values"]

    func decodeNamespaces(_ node: YAMLNode?) -> [NamespaceSpec] {
        guard let node, let items = read.sequence(node, "namespaces") else { return [] }
        return items.compactMap { item in
            guard let fields = read.mapping(item, "a namespace", keys: Self.namespaceKeys, required: ["name"]) else { return nil }
            let ok = ReadOutcome()
            var namespace = NamespaceSpec(mark: item.mark)
            namespace.name = present(fields["name"], ok) { read.string($0, "the namespace name") }
            namespace.labels = present(fields["labels"], ok) { read.stringMap($0, "labels") }
            return ok.complete ? namespace : nil
        }
    }

    /// A pod's `namespace` and `ports`; one present but unreadable is recorded in `invalid`.
    func decodePodScope(_ fields: [String: YAMLNode], into pod: inout PodSpec) {
        let ok = ReadOutcome()
        pod.namespace = present(fields["namespace"], ok) { read.string($0, "the pod's namespace") }
        if !ok.complete { pod.invalid.insert("namespace") }
        let portsOK = ReadOutcome()
        pod.ports = present(fields["ports"], portsOK) { list($0, "the pod's ports", portsOK, decodePodPort) }
        if !portsOK.complete { pod.invalid.insert("ports") }
    }

    /// A service's `namespace`; one present but unreadable is recorded in `invalid`.
    func decodeServiceScope(_ fields: [String: YAMLNode], into service: inout ServiceSpec) {
        let ok = ReadOutcome()
        service.namespace = present(fields["namespace"], ok) { read.string($0, "the service's namespace") }
        if !ok.complete { service.invalid.insert("namespace") }
    }

    func decodeNetworkPolicies(_ node: YAMLNode?) -> [NetworkPolicySpec] {
        guard let node, let items = read.sequence(node, "networkPolicies") else { return [] }
        return items.compactMap(decodePolicy)
    }

    private func decodePodPort(_ node: YAMLNode, _ ok: ReadOutcome) -> PodPortSpec? {
        guard let fields = read.mapping(node, "a pod port", keys: Self.podPortKeys, required: ["name", "port"]) else { return nil }
        var port = PodPortSpec(mark: node.mark)
        port.name = present(fields["name"], ok) { read.string($0, "the port name") }
        port.port = present(fields["port"], ok) { read.int($0, "port", in: 1...65535) }
        port.protocol = present(fields["protocol"], ok) { read.choice($0, "protocol", as: PortProtocol.self) }
        return port
    }

    private func decodePolicy(_ node: YAMLNode) -> NetworkPolicySpec? {
        guard let fields = read.mapping(node, "a network policy", keys: Self.policyKeys, required: ["name"]) else { return nil }
        let ok = ReadOutcome()
        var policy = NetworkPolicySpec(mark: node.mark)
        policy.name = present(fields["name"], ok) { read.string($0, "the policy name") }
        policy.namespace = present(fields["namespace"], ok) { read.string($0, "the policy's namespace") }
        policy.podSelector = present(fields["podSelector"], ok) { decodeSelector($0, "podSelector", ok) }
        if fields["podSelector"] == nil {
            // Required, as in Kubernetes: "every pod" is written, not implied.
            let name = policy.name.map { " '\($0.value)'" } ?? ""
            read.log.error(node.mark, "network policy\(name) needs a podSelector; write 'podSelector: {}' to select every pod of its namespace")
            ok.complete = false
        }
        policy.policyTypes = present(fields["policyTypes"], ok) { node in
            list(node, "policyTypes", ok) { item, _ in read.choice(item, "policy type", as: PolicyType.self) }
        }
        for type in PolicyType.allCases {
            let rules = present(fields[type.rulesKey], ok) { node in
                list(node, type.rulesKey, ok) { item, ok in decodeRule(item, type, ok) }
            }
            if type == .ingress { policy.ingress = rules } else { policy.egress = rules }
        }
        policy.invalid = !ok.complete
        return policy
    }

    private func decodeRule(_ node: YAMLNode, _ type: PolicyType, _ ok: ReadOutcome) -> PolicyRuleSpec? {
        let what = "an \(type.rulesKey) rule"
        guard let fields = read.mapping(node, what, keys: [type.peersKey, "ports"]) else { return nil }
        var rule = PolicyRuleSpec(mark: node.mark)
        rule.peers = present(fields[type.peersKey], ok) { list($0, "'\(type.peersKey)'", ok, decodePeer) }
        rule.ports = present(fields["ports"], ok) { list($0, "the ports of \(what)", ok, decodePolicyPort) }
        return rule
    }

    private func decodePeer(_ node: YAMLNode, _ ok: ReadOutcome) -> PolicyPeerSpec? {
        guard let fields = read.mapping(node, "a peer", keys: Self.peerKeys) else { return nil }
        // Only unknown keys (reported): not also "a peer needs ...".
        if fields.isEmpty, case .mapping(let entries) = node.content, !entries.isEmpty { return nil }
        var peer = PolicyPeerSpec(mark: node.mark)
        peer.podSelector = present(fields["podSelector"], ok) { decodeSelector($0, "podSelector", ok) }
        peer.namespaceSelector = present(fields["namespaceSelector"], ok) { decodeSelector($0, "namespaceSelector", ok) }
        peer.ipBlock = present(fields["ipBlock"], ok) { node in
            guard let block = read.mapping(node, "an ipBlock", keys: Self.ipBlockKeys, required: ["cidr"]) else { return nil }
            var spec = IPBlockSpec(mark: node.mark)
            spec.cidr = present(block["cidr"], ok) { read.prefixOfEitherFamily($0, "ipBlock.cidr") }
            spec.except = present(block["except"], ok) { list($0, "ipBlock.except", ok) { item, _ in read.prefixOfEitherFamily(item, "an ipBlock except") } }?.value ?? []
            return spec
        }
        return peer
    }

    private func decodePolicyPort(_ node: YAMLNode, _ ok: ReadOutcome) -> PolicyPortSpec? {
        guard let fields = read.mapping(node, "a policy port", keys: Self.policyPortKeys) else { return nil }
        var port = PolicyPortSpec(mark: node.mark)
        port.protocol = present(fields["protocol"], ok) { read.choice($0, "protocol", as: PortProtocol.self) }
        port.port = present(fields["port"], ok, portReference)
        port.endPort = present(fields["endPort"], ok) { read.int($0, "endPort", in: 1...65535) }
        return port
    }

    /// Kubernetes' IntOrString: a number, or the name of a pod's port. A quoted
    /// number is read as a name; the resolver says what is wrong with it.
    private func portReference(_ node: YAMLNode) -> Located<PortReference>? {
        if case .int = node.scalar?.resolved {
            return read.int(node, "port", in: 1...65535).map { Located(value: .number($0.value), mark: $0.mark) }
        }
        guard let name = read.string(node, "port (a number or a port name)") else { return nil }
        return Located(value: .name(name.value), mark: name.mark)
    }

    private func decodeSelector(_ node: YAMLNode, _ what: String, _ ok: ReadOutcome) -> LabelSelectorSpec? {
        guard let fields = read.mapping(node, what, keys: Self.selectorKeys) else { return nil }
        var selector = LabelSelectorSpec(mark: node.mark)
        selector.matchLabels = present(fields["matchLabels"], ok) { read.stringMap($0, "matchLabels") }?.value ?? [:]
        selector.matchExpressions = present(fields["matchExpressions"], ok) { node in
            list(node, "matchExpressions", ok) { item, ok in
                guard let fields = read.mapping(item, "a match expression", keys: Self.requirementKeys, required: ["key", "operator"]) else {
                    return nil
                }
                var requirement = LabelRequirementSpec(mark: item.mark)
                requirement.key = present(fields["key"], ok) { read.string($0, "the key of a match expression") }
                requirement.operator = present(fields["operator"], ok) {
                    read.choice($0, "selector operator", as: LabelSelectorRequirement.Operator.self)
                }
                requirement.values = present(fields["values"], ok) { node in
                    list(node, "values", ok) { value, _ in read.string(value, "a value of a match expression") }
                }
                return requirement
            }
        }?.value ?? []
        return selector
    }

    /// Reads an optional field; `ok` turns incomplete when it is present but unreadable
    /// (already reported).
    private func present<Value>(_ node: YAMLNode?, _ ok: ReadOutcome, _ read: (YAMLNode) -> Value?) -> Value? {
        guard let node else { return nil }
        let value = read(node)
        if value == nil { ok.complete = false }
        return value
    }

    /// The readable items of a list; `ok` turns incomplete when one is not.
    private func list<Item>(_ node: YAMLNode, _ what: String, _ ok: ReadOutcome,
                            _ decode: (YAMLNode, ReadOutcome) -> Item?) -> Located<[Item]>? {
        guard let items = read.sequence(node, what) else { return nil }
        var result: [Item] = []
        for item in items {
            if let value = decode(item, ok) { result.append(value) } else { ok.complete = false }
        }
        return Located(value: result, mark: node.mark)
    }
}

/// Whether everything read so far was readable. A reference, so that reads nested
/// in closures can mark it.
final class ReadOutcome {
    var complete = true
}
