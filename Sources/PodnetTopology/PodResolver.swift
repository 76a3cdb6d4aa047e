import PodnetAddress
import PodnetYAML

struct ResolvedPod {
    var pod: Pod
    var spec: PodSpec
}

/// Validates pods and allocates their addresses inside their node's pod CIDR:
/// explicit first, then live (sticky), then the next free from gateway + 1.
struct PodResolver {
    let log: DiagnosticLog
    let live: LiveAssignments

    /// - Parameters:
    ///   - declaredNodes: every node name written in the file, also those that
    ///     failed their own checks (a pod on one of those is not reported again).
    ///   - clusterReadable: false when clusterCIDR could not be read (reported).
    func resolve(_ specs: [PodSpec], nodes: [ResolvedNode], declaredNodes: Set<String>, names: inout NameRegistry,
                 clusterReadable: Bool = true) -> [ResolvedPod] {
        let nodesByName = Dictionary(nodes.map { ($0.node.name, $0) }, uniquingKeysWith: { first, _ in first })
        var valid: [(spec: PodSpec, node: Node)] = []
        for spec in specs {
            guard let name = spec.name else { continue }
            var ok = true
            if let problem = Names.dnsLabelProblem(name.value) {
                log.error(name.mark, "pod name '\(name.value)' \(problem)")
                ok = false
            } else if name.value == "underlay" {
                log.error(name.mark, "the pod name 'underlay' is reserved: the lab's underlay network lives in the namespace CLUSTER.underlay")
                ok = false
            }
            ok = names.register(name, kind: "pod") && ok
            guard let nodeName = spec.node, spec.invalid.isEmpty else { continue }
            guard let node = nodesByName[nodeName.value] else {
                if !declaredNodes.contains(nodeName.value) {
                    log.error(nodeName.mark, "pod '\(name.value)' is on an unknown node '\(nodeName.value)'\(Spelling.hint(for: nodeName.value, among: declaredNodes.sorted()))")
                }
                continue
            }
            if ok, spec.invalid.isEmpty { valid.append((spec, node.node)) }
        }

        var pools: [String: AddressPool] = [:]
        for node in nodes {
            guard let podCIDR = node.node.podCIDR, let gateway = node.node.gateway else { continue }
            // The gateway is never given to a pod, also on bridge-less nodes, so that
            // numbering is the same whatever the node's bridge.
            pools[node.node.name] = AddressPool(prefix: podCIDR, from: gateway.advanced(by: 1), taken: [gateway])
        }
        var addresses: [String: IPv4Address] = [:]
        var owners: [IPv4Address: Located<String>] = [:]
        for (spec, node) in valid {
            guard let ip = spec.ip else { continue }
            let name = spec.name!
            guard let podCIDR = node.podCIDR, let gateway = node.gateway else {
                if clusterReadable {
                    log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is IPv4, but clusterCIDR has no IPv4 prefix (the cluster is IPv6-only); add one, like 'clusterCIDR: [fd00:200::/48, 10.200.0.0/16]', or remove the address")
                }
                continue
            }
            if !podCIDR.contains(ip.value) {
                log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is outside the podCIDR \(podCIDR) of its node '\(node.name)'")
            } else if ip.value == podCIDR.first {
                log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is the network address of podCIDR \(podCIDR); use a host address such as \(gateway.advanced(by: 1)!)")
            } else if ip.value == podCIDR.broadcast {
                log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is the broadcast address of podCIDR \(podCIDR)")
            } else if ip.value == gateway, node.bridge != nil {
                log.error(ip.mark, "pod '\(name.value)' address \(ip.value) is the gateway of node '\(node.name)' (its bridge \(node.bridge!) holds it); use another address")
            } else if let owner = owners[ip.value] {
                log.error(ip.mark, "pod address \(ip.value) is already the address of pod '\(owner.value)' (line \(owner.mark.line))")
            } else {
                owners[ip.value] = name
                pools[node.name]!.reserve(ip.value)
                addresses[name.value] = ip.value
            }
        }
        var pending: [(spec: PodSpec, node: Node)] = []
        for (spec, node) in valid where spec.ip == nil && pools[node.name] != nil {
            let name = spec.name!.value
            if let ip = live.podIPs[name], pools[node.name]!.isHost(ip), !pools[node.name]!.isTaken(ip) {
                pools[node.name]!.reserve(ip)
                addresses[name] = ip
            } else {
                pending.append((spec, node))
            }
        }
        for (spec, node) in pending {
            guard let ip = pools[node.name]!.next() else {
                log.error(spec.mark, "no free address left in the podCIDR \(node.podCIDR!) of node '\(node.name)' for pod '\(spec.name!.value)'; give the node a larger podCIDR")
                continue
            }
            addresses[spec.name!.value] = ip
        }
        let addressesV6 = allocateIPv6(valid, nodes: nodes, clusterReadable: clusterReadable)
        return valid.compactMap { spec, node in
            let name = spec.name!.value
            // A family the node has that the pod did not get was reported.
            if node.podCIDR != nil, addresses[name] == nil { return nil }
            if node.podCIDRv6 != nil, addressesV6[name] == nil { return nil }
            return ResolvedPod(pod: Pod(name: name, node: node.name, ip: addresses[name], labels: spec.labels, ipv6: addressesV6[name]), spec: spec)
        }
    }
}
