import PodnetAddress
import PodnetYAML

/// Checks `networkPolicies[]` against Kubernetes' validation of `NetworkPolicySpec`
/// and applies its defaults. Where Kubernetes accepts a policy that matches nothing
/// (an unknown namespace, a port name no pod has), this warns instead of failing.
/// Also warns where Kubernetes' reading is easy to get wrong (`from: []` allows
/// every source; `egress: []` alone does not make an Egress policy).
struct NetworkPolicyResolver {
    let log: DiagnosticLog

    /// What the policies refer to.
    struct Context {
        var namespaces: [Namespace]
        /// Every namespace name written, also of namespaces that failed their checks.
        var declaredNamespaces: Set<String>
        var pods: [Pod]
        /// Nodes without a pod bridge: their pods talk over direct links only.
        var bridgelessNodes: Set<String> = []
        /// Whether the cluster has IPv6 (an IPv6 clusterCIDR): an IPv6 ipBlock
        /// matches nothing without it.
        var hasIPv6 = false

        var namespaceNames: [String] { namespaces.map(\.name) }
        func isKnown(namespace: String) -> Bool { namespaceNames.contains(namespace) || declaredNamespaces.contains(namespace) }
    }

    func resolve(_ specs: [NetworkPolicySpec], context: Context) -> [NetworkPolicy] {
        var seen: [String: SourceMark] = [:]
        var policies: [NetworkPolicy] = []
        for spec in specs {
            guard let name = spec.name else { continue }
            var ok = !spec.invalid
            if let problem = Names.dnsSubdomainProblem(name.value) {
                log.error(name.mark, "network policy name '\(name.value)' \(problem)")
                ok = false
            }
            let namespace = spec.namespace?.value ?? Namespace.defaultName
            let key = "\(namespace)/\(name.value)"
            if let first = seen[key] {
                log.error(name.mark, "a network policy named '\(name.value)' is already defined in namespace '\(namespace)' at line \(first.line)")
                ok = false
            }
            seen[key] = seen[key] ?? name.mark
            if let written = spec.namespace, !context.isKnown(namespace: written.value) {
                log.warning(written.mark, "network policy '\(name.value)' is in an unknown namespace '\(written.value)', so it selects no pod\(Spelling.hint(for: written.value, among: context.namespaceNames))")
            }
            let podSelector = spec.podSelector.flatMap(selector)
            let policyTypes = self.policyTypes(spec, policy: name.value)
            let ingress = rules(spec.ingress, .ingress, policy: name.value, context: context, readWhole: !spec.invalid)
            let egress = rules(spec.egress, .egress, policy: name.value, context: context, readWhole: !spec.invalid)
            guard ok, let podSelector, let ingress, let egress else { continue }
            let types: [PolicyType]?
            switch policyTypes {
            case .defaulted: types = nil
            case .written(let written): types = written
            case .invalid: continue
            }
            let policy = NetworkPolicy(name: name.value, namespace: namespace, podSelector: podSelector,
                                       policyTypes: types, ingress: ingress, egress: egress)
            warnAboutIgnoredRules(spec, policy)
            warnAboutUnfilteredPods(spec, policy, context: context)
            policies.append(policy)
        }
        return policies
    }

    /// `policyTypes` as read.
    enum PolicyTypesReading {
        /// Left out or empty: Kubernetes' default applies.
        case defaulted
        case written([PolicyType])
        /// A type listed twice (reported).
        case invalid
    }

    private func policyTypes(_ spec: NetworkPolicySpec, policy: String) -> PolicyTypesReading {
        guard let written = spec.policyTypes else { return .defaulted }
        var types: [PolicyType] = []
        var ok = true
        for type in written.value {
            if types.contains(type.value) {
                log.error(type.mark, "network policy '\(policy)' lists the policy type \(type.value.rawValue) twice")
                ok = false
            }
            types.append(type.value)
        }
        guard ok else { return .invalid }
        return types.isEmpty ? .defaulted : .written(types)
    }

    /// Policies are enforced on nodes; a pod of a bridge-less node talks over a direct
    /// link to its peer, which no node's hooks see, so nothing can enforce them there.
    private func warnAboutUnfilteredPods(_ spec: NetworkPolicySpec, _ policy: NetworkPolicy, context: Context) {
        let unfiltered = context.pods.filter {
            context.bridgelessNodes.contains($0.node) && $0.namespace == policy.namespace && policy.podSelector.matches($0.labels)
        }
        guard let first = unfiltered.first else { return }
        let names = unfiltered.map(\.name).joined(separator: ", ")
        log.warning(spec.podSelector?.mark ?? spec.mark,
                    "network policy '\(policy.name)' selects \(unfiltered.count == 1 ? "pod" : "pods") \(names) of bridge-less node \(first.node): a direct link crosses no node, so nothing enforces the policy on it; give the node a bridge to have it enforced")
    }

    private func warnAboutIgnoredRules(_ spec: NetworkPolicySpec, _ policy: NetworkPolicy) {
        for type in PolicyType.allCases where !policy.affects(type) && !policy.rules(type).isEmpty {
            if let mark = (type == .ingress ? spec.ingress : spec.egress)?.mark {
                log.warning(mark, "the \(type.rulesKey) rules of network policy '\(policy.name)' are ignored: its policyTypes has no \(type.rawValue)")
            }
        }
        if spec.policyTypes == nil, let egress = spec.egress, egress.value.isEmpty {
            log.warning(egress.mark, "an empty egress list does not make network policy '\(policy.name)' an Egress policy (Kubernetes looks for egress rules); to deny all egress, add 'policyTypes: [Ingress, Egress]'")
        }
    }

    /// - Parameter readWhole: false when part of the policy was unreadable (reported):
    ///   a list may then be empty only because its items were dropped.
    private func rules(_ specs: Located<[PolicyRuleSpec]>?, _ type: PolicyType, policy: String, context: Context,
                       readWhole: Bool) -> [NetworkPolicyRule]? {
        guard let specs else { return [] }
        let rules = specs.value.map { rule($0, type, policy: policy, context: context, readWhole: readWhole) }
        return rules.allSatisfy { $0 != nil } ? rules.compactMap { $0 } : nil
    }

    private func rule(_ spec: PolicyRuleSpec, _ type: PolicyType, policy: String, context: Context, readWhole: Bool) -> NetworkPolicyRule? {
        if readWhole, let peers = spec.peers, peers.value.isEmpty {
            log.warning(peers.mark, "an empty '\(type.peersKey)' list allows every \(type == .ingress ? "source" : "destination"), as Kubernetes reads it (the same as leaving it out); to allow none, remove the rule")
        }
        let peers = (spec.peers?.value ?? []).map { peer($0, policy: policy, context: context) }
        let ports = (spec.ports?.value ?? []).map { port($0, policy: policy, context: context) }
        guard peers.allSatisfy({ $0 != nil }), ports.allSatisfy({ $0 != nil }) else { return nil }
        return NetworkPolicyRule(peers: peers.compactMap { $0 }, ports: ports.compactMap { $0 })
    }

    private func peer(_ spec: PolicyPeerSpec, policy: String, context: Context) -> NetworkPolicyPeer? {
        if let block = spec.ipBlock {
            if spec.podSelector != nil || spec.namespaceSelector != nil {
                log.error(spec.mark, "a peer with an ipBlock may have no podSelector or namespaceSelector; write them as two peers of the list")
                return nil
            }
            if let cidr = block.cidr, cidr.value.family == .ipv6, !context.hasIPv6 {
                log.warning(cidr.mark, "ipBlock \(cidr.value) is IPv6, and the cluster has no IPv6 (its clusterCIDR is IPv4 only): this peer of network policy '\(policy)' matches nothing, as an IPv6 block matches IPv6 traffic alone; add an IPv6 clusterCIDR, or remove the peer")
            }
            return ipBlock(block).map(NetworkPolicyPeer.addresses)
        }
        guard spec.podSelector != nil || spec.namespaceSelector != nil else {
            log.error(spec.mark, "a peer needs a podSelector, a namespaceSelector or an ipBlock; to allow every peer, leave out the list")
            return nil
        }
        let pods = spec.podSelector.map(selector)
        let namespaces = spec.namespaceSelector.map(selector)
        if let namespaceSelector = spec.namespaceSelector, let named = namespaceSelector.matchLabels[Namespace.nameLabel],
           !context.isKnown(namespace: named) {
            log.warning(namespaceSelector.mark, "network policy '\(policy)' selects the unknown namespace '\(named)', so this peer matches no pod\(Spelling.hint(for: named, among: context.namespaceNames))")
        }
        if case .some(nil) = pods { return nil }
        if case .some(nil) = namespaces { return nil }
        return NetworkPolicyPeer(podSelector: pods ?? nil, namespaceSelector: namespaces ?? nil)
    }

    /// Every `except` must be a strict subset of `cidr`, as Kubernetes requires.
    private func ipBlock(_ spec: IPBlockSpec) -> IPBlock? {
        guard let cidr = spec.cidr else { return nil }
        var ok = true
        for except in spec.except where except.value.family != cidr.value.family {
            log.error(except.mark, "ipBlock except \(except.value) is \(except.value.family), and its cidr \(cidr.value) is \(cidr.value.family); an ipBlock is of one family: write the \(except.value.family) addresses as a peer of their own")
            ok = false
        }
        for except in spec.except where except.value.family == cidr.value.family
            && !(cidr.value.contains(except.value.address) && except.value.length > cidr.value.length) {
            let fix = except.value == cidr.value ? "an except equal to the cidr leaves nothing; remove the peer instead"
                : "write a prefix inside \(cidr.value), longer than /\(cidr.value.length)"
            log.error(except.mark, "ipBlock except \(except.value) is not inside its cidr \(cidr.value); \(fix)")
            ok = false
        }
        return ok ? IPBlock(cidr: cidr.value, except: spec.except.map(\.value)) : nil
    }

    private func port(_ spec: PolicyPortSpec, policy: String, context: Context) -> NetworkPolicyPort? {
        let proto = spec.protocol?.value ?? .tcp
        switch (spec.port?.value, spec.endPort) {
        case (nil, let endPort?):
            log.error(endPort.mark, "endPort needs a numeric 'port' where its range starts; add 'port:' with the first port")
            return nil
        case (.name(let name)?, let endPort?):
            log.error(endPort.mark, "endPort needs a numeric 'port'; the named port '\(name)' is a single port: write its number")
            return nil
        case (.number(let first)?, let endPort?) where endPort.value < first:
            log.error(endPort.mark, "endPort \(endPort.value) is below port \(first); the range runs from port up to endPort")
            return nil
        case (.name(let name)?, _):
            let mark = spec.port!.mark
            if let problem = Names.portNameProblem(name) {
                log.error(mark, "port name '\(name)' \(problem)")
                return nil
            }
            warnIfNoPodHasPort(named: name, proto, at: mark, policy: policy, pods: context.pods)
        default:
            break
        }
        return NetworkPolicyPort(protocol: proto, port: spec.port?.value, endPort: spec.endPort?.value)
    }

    /// A named port is resolved on each destination pod; one that no pod declares
    /// matches nothing (Kubernetes accepts it, so this is a warning).
    private func warnIfNoPodHasPort(named name: String, _ proto: PortProtocol, at mark: SourceMark, policy: String, pods: [Pod]) {
        let holders = pods.filter { $0.ports.contains { $0.name == name } }
        guard !holders.contains(where: { $0.ports.contains { $0.name == name && $0.protocol == proto } }) else { return }
        if let other = holders.first, let declared = other.ports.first(where: { $0.name == name }) {
            log.warning(mark, "no pod has a \(proto.rawValue) port named '\(name)' (pod '\(other.name)' declares it as \(declared.protocol.rawValue)); add 'protocol: \(declared.protocol.rawValue)' to this port of network policy '\(policy)'")
        } else {
            let names = Set(pods.flatMap { $0.ports.map(\.name) }).sorted()
            log.warning(mark, "no pod has a port named '\(name)', so this port of network policy '\(policy)' matches nothing\(Spelling.hint(for: name, among: names))")
        }
    }

    private func selector(_ spec: LabelSelectorSpec) -> LabelSelector? {
        var requirements: [LabelSelectorRequirement] = []
        var ok = true
        for requirement in spec.matchExpressions {
            guard let key = requirement.key, let op = requirement.operator else { ok = false; continue }
            if let problem = Names.labelKeyProblem(key.value) {
                log.error(key.mark, "label key '\(key.value)' \(problem)")
                ok = false
            }
            let values = requirement.values?.value ?? []
            if op.value.takesValues, values.isEmpty {
                log.error(requirement.values?.mark ?? op.mark, "operator \(op.value.rawValue) needs a non-empty 'values' list; to test only that the label exists, use \(op.value == .in ? "Exists" : "DoesNotExist")")
                ok = false
            } else if !op.value.takesValues, !values.isEmpty, let mark = requirement.values?.mark {
                log.error(mark, "operator \(op.value.rawValue) takes no values; remove 'values', or use \(op.value == .exists ? "In" : "NotIn") to compare them")
                ok = false
            }
            for value in values {
                if let problem = Names.labelValueProblem(value.value) {
                    log.error(value.mark, "label value '\(value.value)' \(problem)")
                    ok = false
                }
            }
            requirements.append(LabelSelectorRequirement(key: key.value, operator: op.value, values: values.map(\.value)))
        }
        return ok ? LabelSelector(matchLabels: spec.matchLabels, matchExpressions: requirements) : nil
    }
}
