import PodnetAddress
import PodnetYAML

/// A node that passed its own checks, with the spec it came from (for positions).
struct ResolvedNode {
    var node: Node
    var spec: NodeSpec
}

/// Validates nodes and allocates their underlay addresses and pod CIDRs:
/// explicit values first, then live ones (sticky), then the next free ones in
/// declaration order.
struct NodeResolver {
    let log: DiagnosticLog
    let live: LiveAssignments

    /// Nodes' default pod subnets are /24s of the cluster CIDR.
    static let defaultPodPrefixLength = 24
    /// Node addresses are handed out from the underlay's fourth host upward, as in seed 003.
    static let firstNodeHost = 4

    /// - Parameters:
    ///   - held: underlay addresses that fresh allocation skips (the clients'); a node
    ///     may still be written with one, or keep its live one.
    ///   - heldV6: the same in the IPv6 underlay.
    func resolve(_ specs: [NodeSpec], cidrs: TopologyResolver.Prefixes, network: Network, held: Set<IPv4Address> = [],
                 heldV6: Set<IPv6Address> = [], names: inout NameRegistry) -> [ResolvedNode] {
        var valid: [NodeSpec] = []
        for spec in specs {
            guard let name = spec.name else { continue }
            var ok = true
            if let problem = Names.dnsLabelProblem(name.value) {
                log.error(name.mark, "node name '\(name.value)' \(problem)")
                ok = false
            } else if name.value == "underlay" {
                log.error(name.mark, "the node name 'underlay' is reserved: the lab's underlay network lives in the namespace CLUSTER.underlay")
                ok = false
            }
            ok = names.register(name, kind: "node") && ok
            ok = checkInterfaces(spec, network: network) && ok
            if ok, spec.invalid.isEmpty { valid.append(spec) }
        }
        if specs.isEmpty {
            return []
        }
        let addresses = allocateAddresses(valid, underlay: cidrs.underlay, held: held, reportsMissingFamily: cidrs.underlayIPv6Only)
        let podCIDRs = allocatePodCIDRs(valid, cluster: cidrs.cluster, reportsMissingFamily: cidrs.ipv6Only)
        let addressesV6 = allocateIPv6Addresses(valid, underlay: cidrs.underlayV6, held: heldV6,
                                                reportsMissingFamily: cidrs.underlayReadable && cidrs.clusterReadable)
        let podCIDRsV6 = allocateIPv6PodCIDRs(valid, cluster: cidrs.clusterV6, reportsMissingFamily: cidrs.cluster != nil)
        return valid.compactMap { spec in
            let name = spec.name!.value
            guard cidrs.underlayReadable, cidrs.clusterReadable else { return nil }
            // A family the cluster or the underlay has that the node did not get was reported.
            if cidrs.underlay != nil, addresses[name] == nil { return nil }
            if cidrs.cluster != nil, podCIDRs[name] == nil { return nil }
            if cidrs.underlayV6 != nil, addressesV6[name] == nil { return nil }
            if cidrs.clusterV6 != nil, podCIDRsV6[name] == nil { return nil }
            let bridge = spec.bridge?.value ?? Node.defaultBridge
            return ResolvedNode(
                node: Node(name: name, address: addresses[name], podCIDR: podCIDRs[name],
                           bridge: bridge == Node.noBridge ? nil : bridge, interface: spec.interface?.value,
                           addressV6: addressesV6[name], podCIDRv6: podCIDRsV6[name]),
                spec: spec)
        }
    }

    private func checkInterfaces(_ spec: NodeSpec, network: Network) -> Bool {
        var ok = true
        if let bridge = spec.bridge, bridge.value != Node.noBridge {
            if let problem = Names.interfaceNameProblem(bridge.value) {
                log.error(bridge.mark, "bridge name '\(bridge.value)' \(problem)")
                ok = false
            } else if Names.reservedInterfaceNames.contains(bridge.value) {
                log.error(bridge.mark, "the bridge may not be named '\(bridge.value)': podnet uses that name inside the node (reserved: \(Names.reservedInterfaceNames.sorted().joined(separator: ", ")))")
                ok = false
            }
        } else if let bridge = spec.bridge, network.backend == .vxlan, network.vxlan.discovery == .multicast {
            log.error(bridge.mark, "node '\(spec.name!.value)' has 'bridge: none', but VXLAN multicast discovery makes the VXLAN device a port of the pod bridge; give the node a bridge or use 'discovery: static'")
            ok = false
        }
        if let interface = spec.interface, let problem = Names.interfaceNameProblem(interface.value) {
            log.error(interface.mark, "interface name '\(interface.value)' \(problem)")
            ok = false
        }
        return ok
    }

    /// - Parameter reportsMissingFamily: the underlay is IPv6-only, so a written IPv4
    ///   address is a mistake.
    private func allocateAddresses(_ specs: [NodeSpec], underlay: IPv4Prefix?, held: Set<IPv4Address>,
                                   reportsMissingFamily: Bool) -> [String: IPv4Address] {
        guard let underlay else {
            for spec in specs {
                guard let address = spec.address, reportsMissingFamily else { continue }
                log.error(address.mark, "node '\(spec.name!.value)' address \(address.value) is IPv4, but underlay.cidr has no IPv4 prefix; add one, like 'cidr: [fd00:64::/64, 192.168.64.0/24]' under underlay, or remove the address")
            }
            return [:]
        }
        var pool = AddressPool(prefix: underlay, from: underlay.first.advanced(by: Self.firstNodeHost))
        let requests = specs.map { StickyAddressAllocation<AddressPool>.Request(name: $0.name!, written: $0.address, mark: $0.mark) }
        return StickyAddressAllocation(log: log).allocate(requests, pool: &pool, live: live.nodeAddresses, held: held, problems: .init(
            refusal: { [pool] address, name in
                if !underlay.contains(address.value) {
                    return "node '\(name.value)' address \(address.value) is outside underlay.cidr \(underlay); set underlay.cidr to the network the nodes share"
                }
                if !pool.isHost(address.value) {
                    return "node '\(name.value)' address \(address.value) is the \(address.value == underlay.first ? "network" : "broadcast") address of underlay.cidr \(underlay)"
                }
                return nil
            },
            taken: { address, owner, _ in "node address \(address) is already the address of node '\(owner.value)' (line \(owner.mark.line))" },
            exhausted: { name in "no free address left in underlay.cidr \(underlay) for node '\(name)' (node addresses are allocated from the 4th host upward); widen underlay.cidr or give the node an address" }))
    }

    /// - Parameter reportsMissingFamily: the cluster is IPv6-only, so a written IPv4
    ///   podCIDR is a mistake (not when clusterCIDR was misread: reported).
    private func allocatePodCIDRs(_ specs: [NodeSpec], cluster: IPv4Prefix?, reportsMissingFamily: Bool) -> [String: IPv4Prefix] {
        guard let cluster else {
            for spec in specs {
                guard let podCIDR = spec.podCIDR, reportsMissingFamily else { continue }
                log.error(podCIDR.mark, "node '\(spec.name!.value)' podCIDR \(podCIDR.value) is IPv4, but clusterCIDR has no IPv4 prefix (the cluster is IPv6-only); add one, like 'clusterCIDR: [fd00:200::/48, 10.200.0.0/16]', or remove it")
            }
            return [:]
        }
        var result: [String: IPv4Prefix] = [:]
        var owners: [(prefix: IPv4Prefix, name: Located<String>)] = []
        for spec in specs {
            guard let podCIDR = spec.podCIDR else { continue }
            let name = spec.name!
            if !cluster.contains(podCIDR.value) {
                log.error(podCIDR.mark, "node '\(name.value)' podCIDR \(podCIDR.value) is not inside clusterCIDR \(cluster)")
            } else if podCIDR.value.length > 30 {
                log.error(podCIDR.mark, "node '\(name.value)' podCIDR \(podCIDR.value) is too small: a /30 or larger is needed for a gateway and a pod")
            } else if let owner = owners.first(where: { $0.prefix.overlaps(podCIDR.value) }) {
                log.error(podCIDR.mark, "node '\(name.value)' podCIDR \(podCIDR.value) overlaps the podCIDR \(owner.prefix) of node '\(owner.name.value)' (line \(owner.name.mark.line))")
            } else {
                owners.append((podCIDR.value, name))
                result[name.value] = podCIDR.value
            }
        }
        let length = Self.defaultPodPrefixLength
        allocateUnwritten(specs, writes: { $0.podCIDR != nil }, cluster: cluster, length: length, longestLive: 30,
                          live: live.podCIDRs, owners: owners.map(\.prefix), into: &result,
                          noRoom: { "node '\($0)' has no podCIDR, and clusterCIDR \(cluster) is smaller than the default /\(length) per node; give the node a podCIDR" },
                          exhausted: { "no free /\(length) left in clusterCIDR \(cluster) for node '\($0)'; widen clusterCIDR or give the node a podCIDR" })
        return result
    }
}

extension NodeResolver {
    /// The podCIDRs of one family for the nodes whose spec writes none: each keeps its
    /// live one where it still fits (inside `cluster`, no longer than `longestLive`,
    /// clear of every other), else takes the pool's next subnet of `length`. What
    /// cannot be allocated is reported with `noRoom` (the cluster is smaller than one
    /// subnet) or `exhausted` (no subnet left), given the node's name.
    func allocateUnwritten<Prefix: IPPrefixProtocol>(
        _ specs: [NodeSpec], writes: (NodeSpec) -> Bool, cluster: Prefix, length: Int, longestLive: Int,
        live: [String: Prefix], owners: [Prefix], into result: inout [String: Prefix],
        noRoom: (String) -> String, exhausted: (String) -> String
    ) {
        var pool = SubnetPool(parent: cluster, length: length, taken: owners)
        var pending: [NodeSpec] = []
        for spec in specs where !writes(spec) {
            let name = spec.name!.value
            if let prefix = live[name], cluster.contains(prefix), prefix.length <= longestLive,
               !result.values.contains(where: { $0.overlaps(prefix) }) {
                pool.reserve(prefix)
                result[name] = prefix
            } else {
                pending.append(spec)
            }
        }
        for spec in pending {
            let name = spec.name!.value
            guard cluster.length <= length else {
                log.error(spec.mark, noRoom(name))
                continue
            }
            guard let prefix = pool.next() else {
                log.error(spec.mark, exhausted(name))
                continue
            }
            result[name] = prefix
        }
    }
}
