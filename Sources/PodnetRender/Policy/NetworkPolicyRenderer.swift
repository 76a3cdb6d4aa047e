import PodnetAddress
import PodnetKernelModel
import PodnetPolicy
import PodnetTopology

/// Topology → the NetworkPolicy table of one node, `table inet podnet-CLUSTER`,
/// whatever the proxy mode (the service proxy's table is `ip podnet-CLUSTER`, or
/// iptables, or IPVS: policy lives apart from all three, so a mode switch never
/// touches it). Family inet: one table for both address families. Every rule
/// matching address fields says its family first (`meta nfproto ipv4`, `meta
/// nfproto ipv6`), so that a packet is never read at the other family's offsets;
/// the dispatch, the pod chains and the policy chains hold one family's rules
/// after the other's (IPv4 first), and every set one family's addresses
/// (`NetworkPolicyNames`). An IPv4-only cluster's table has IPv4's alone: the
/// same table as before dual stack.
///
/// It filters where Kubernetes says policies apply: after the service's DNAT (the
/// forward and output hooks come after prerouting's and output's dstnat), so a
/// rule sees the endpoint pod and its target port. Pods on one bridge are filtered
/// too: with br_netfilter (`bridge-nf-call-iptables` and, in a dual-stack cluster,
/// `bridge-nf-call-ip6tables`, set whenever the cluster has policies) bridged
/// traffic crosses the forward hook.
///
/// ```
/// forward (filter, hook forward):  ct state established,related accept; goto pod-policies
/// output  (filter, hook output):   ct state established,related accept; fib saddr type local accept; goto pod-policies
/// pod-policies: [icmpv6 type nd-… accept]; ip saddr vmap @egress-pods (→ jump from-POD); [ip6 saddr vmap @egress-pods6]; goto ingress
/// ingress:      ip daddr vmap @ingress-pods (→ jump to-POD); [ip6 daddr vmap @ingress-pods6]; accept
/// from-POD:     ip daddr POD goto ingress; [ip6 daddr POD6 goto ingress]; jump egress-NS/POLICY …; drop
/// to-POD:       ip saddr POD accept;       [ip6 saddr POD6 accept];       jump ingress-NS/POLICY …; drop
/// egress-NS/POLICY:  PEER PORT goto ingress   (one rule per peer, family and port)
/// ingress-NS/POLICY: PEER PORT accept
/// ```
/// (In brackets: what a dual-stack cluster adds.)
///
/// Egress is decided first, at the sender's node; a connection it allows goes on
/// to ingress, decided at the receiver's node (the same node for pods of one).
/// Both are terminal (`accept` or `drop`), so an allowing rule deep in a policy
/// chain ends the walk at once. A pod isolated by no policy has no chain and no
/// element: its traffic costs one map look-up per direction. Peers are named sets
/// of pod addresses, one per distinct selection (`PodSelection`) and family, shared
/// by every policy using it: a pod's arrival, departure or relabelling changes set
/// elements, not rules. An `ipBlock` peer matches its own family's traffic only,
/// as in Kubernetes. Named ports are one set per name and family of every pod's
/// `address . protocol . port`, looked up with the packet's destination:
/// Kubernetes resolves a named port on the destination pod, for ingress and egress
/// alike.
///
/// Only new connections meet the rules (`ct state established,related accept`
/// first): replies of an allowed one pass, and so do the ICMP and ICMPv6 errors
/// about it (too big, unreachable: conntrack calls them related), which IPv6's
/// path MTU discovery needs. The output hook matters only where the node forwards
/// from its own output path, as IPVS does after choosing an endpoint; the node's
/// own traffic (`fib saddr type local`) is never a pod's egress.
public struct NetworkPolicyRenderer: Sendable {
    public let topology: Topology
    let evaluator: PolicyEvaluator
    /// The families the table filters, IPv4 first: IPv4 alone, or both.
    let families: [AddressFamily]
    /// Per policy and direction: the rules of its chain (the same on every node).
    let policyChains: [String: NFTChain]
    /// Every selection a policy chain looks up, per family, with its pods' addresses.
    let selectionSets: [String: NFTSet]
    let namedPortSets: [String: NFTSet]

    public init(topology: Topology) {
        self.topology = topology
        let evaluator = PolicyEvaluator(topology: topology)
        self.evaluator = evaluator
        let families = topology.familiesIPv4First
        self.families = families
        var chains: [String: NFTChain] = [:]
        var selections: [String: NFTSet] = [:]
        var portNames: Set<String> = []
        for policy in topology.networkPolicies {
            for type in PolicyType.allCases where policy.affects(type) {
                let name = NetworkPolicyNames.policyChain(policy, type)
                let rules = policy.rules(type).enumerated().flatMap { Self.rules(for: $1, index: $0, of: policy, type, families: families) }
                chains[name] = NFTChain(name: name, rules: rules)
                for rule in policy.rules(type) {
                    for peer in rule.peers {
                        guard let selection = PodSelection(peer: peer, of: policy) else { continue }
                        for family in families {
                            let setName = NetworkPolicyNames.selectionSet(selection, family)
                            guard selections[setName] == nil else { continue }
                            selections[setName] = NFTSet(
                                name: setName, keyType: [Self.addressType(family)], comment: selection.description,
                                elements: evaluator.pods(in: selection).compactMap { $0.ip(family) }.map { NFTSetElement(key: [Self.value($0)]) })
                        }
                    }
                    for port in rule.ports { if case .name(let name)? = port.port { portNames.insert(name) } }
                }
            }
        }
        policyChains = chains
        selectionSets = selections
        namedPortSets = Dictionary(uniqueKeysWithValues: portNames.flatMap { name in
            families.map { family in
                let elements = topology.pods.flatMap { pod in
                    pod.ports.filter { $0.name == name }.compactMap { port in
                        pod.ip(family).map { NFTSetElement(key: [Self.value($0), .inetProto(port.protocol.number), .inetService(UInt16(port.port))]) }
                    }
                }
                let setName = NetworkPolicyNames.namedPortSet(name, family)
                return (setName, NFTSet(name: setName, keyType: [Self.addressType(family), .inetProto, .inetService],
                                        comment: "pods' ports named \(name)", elements: elements))
            }
        })
    }

    private typealias Names = NetworkPolicyNames

    /// The table node `node` should hold in `namespace`, or nil when the cluster has
    /// no policies. Every node of a cluster with policies holds one, even with no
    /// isolated pod of its own, so that a pod scheduled there later is an element,
    /// a chain and nothing else.
    public func table(forNode node: Node, in namespace: NamespaceRef) -> NFTable? {
        guard !topology.networkPolicies.isEmpty else { return nil }
        var table = NFTable(id: NFTable.ID(namespace: namespace, family: .inet, name: Names.table(cluster: topology.name)),
                            comment: "podnet cluster \(topology.name): NetworkPolicy")
        addDispatch(to: &table)
        var podSets: [String: [NFTSetElement]] = [:]
        var usedPolicyChains: Set<String> = []
        for pod in topology.pods(on: node.name) {
            for type in PolicyType.allCases {
                let policies = evaluator.isolatingPolicies(of: pod.name, type)
                guard !policies.isEmpty else { continue }
                let chain = type == .ingress ? Names.ingressChain(pod: pod.name) : Names.egressChain(pod: pod.name)
                let names = policies.map { Names.policyChain($0, type) }
                usedPolicyChains.formUnion(names)
                table.insert(NFTChain(name: chain, rules: Self.podChainRules(pod: pod, type, policyChains: names, families: families)))
                for family in families {
                    guard let address = pod.ip(family) else { continue }
                    let set = type == .ingress ? Names.ingressPods(family) : Names.egressPods(family)
                    podSets[set, default: []].append(NFTSetElement(key: [Self.value(address)], data: .verdict(.jump(chain))))
                }
            }
        }
        for name in usedPolicyChains.sorted() {
            guard let chain = policyChains[name] else { continue }
            table.insert(chain)
            for set in chain.referencedSets {
                if let selection = selectionSets[set] { table.insert(selection) }
                if let ports = namedPortSets[set] { table.insert(ports) }
            }
        }
        for (set, elements) in podSets { table.sets[set]!.elements = elements }
        return table
    }

    // MARK: The fixed part

    private func addDispatch(to table: inout NFTable) {
        let established = NFTExpression.conntrackState(NFTConntrackKey.stateEstablished | NFTConntrackKey.stateRelated)
        table.insert(NFTChain(name: Names.forward, base: NFTBaseChain(type: .filter, hook: .forward, priority: 0), rules: [
            NFTRule(established + [.verdict(.accept)]),
            NFTRule([.verdict(.goto(Names.podPolicies))]),
        ]))
        table.insert(NFTChain(name: Names.output, base: NFTBaseChain(type: .filter, hook: .output, priority: 0), rules: [
            NFTRule(established + [.verdict(.accept)]),
            NFTRule(NFTExpression.addressIsLocal(.source) + [.verdict(.accept)], comment: "the node's own traffic"),
            NFTRule([.verdict(.goto(Names.podPolicies))]),
        ]))
        table.insert(NFTChain(name: Names.podPolicies, rules: neighbourDiscovery + families.map { family in
            NFTRule(Self.only(family) + NFTExpression.ipAddressLoad(.source, family: family)
                    + [NFTExpression.verdictMap(.named(Names.egressPods(family)))])
        } + [NFTRule([.verdict(.goto(Names.ingress))])]))
        table.insert(NFTChain(name: Names.ingress, rules: families.map { family in
            NFTRule(Self.only(family) + NFTExpression.ipAddressLoad(.destination, family: family)
                    + [NFTExpression.verdictMap(.named(Names.ingressPods(family)))])
        } + [NFTRule([.verdict(.accept)])]))
        for family in families {
            table.insert(NFTSet(name: Names.egressPods(family), keyType: [Self.addressType(family)], dataType: .verdict,
                                comment: "this node's pods isolated for egress, to their chain"))
            table.insert(NFTSet(name: Names.ingressPods(family), keyType: [Self.addressType(family)], dataType: .verdict,
                                comment: "this node's pods isolated for ingress, to their chain"))
        }
    }

    /// IPv6 finds its neighbours and routers with ICMPv6 (RFC 4861), not a protocol
    /// of its own as ARP is to IPv4: bridged between two pods (br_netfilter), a
    /// neighbour solicitation or advertisement between their global addresses would
    /// meet the pods' chains, and an isolated pod would lose its neighbours, and with
    /// them every connection policy allows. No policy speaks of them (Kubernetes'
    /// ports are TCP, UDP and SCTP), so they pass before the dispatch. (MLD, the
    /// other ICMPv6 a bridge sees, comes from link-local addresses, which no set
    /// holds, so it passes the dispatch untouched.)
    private var neighbourDiscovery: [NFTRule] {
        guard families.contains(.ipv6) else { return [] }
        return NFTExpression.neighbourDiscoveryTypes.map {
            NFTRule(NFTExpression.icmpv6Type(equals: $0) + [.verdict(.accept)])
        }
    }

    /// `meta nfproto ipv4` or `meta nfproto ipv6`: what nft puts before an address
    /// field in an inet table.
    static func only(_ family: AddressFamily) -> [NFTExpression] {
        NFTExpression.networkProtocol(equals: family == .ipv4 ? NFTExpression.nfprotoIPv4 : NFTExpression.nfprotoIPv6)
    }

    static func addressType(_ family: AddressFamily) -> NFTDataType { family == .ipv4 ? .ipv4Address : .ipv6Address }

    static func value(_ address: IPAddress) -> NFTValue {
        switch address {
        case .v4(let address): return .ipv4(address)
        case .v6(let address): return .ipv6(address)
        }
    }

    /// An isolated pod's chain: its traffic with itself passes (a pod calling its
    /// own service, hairpinned back; Kubernetes never filters a pod's traffic to
    /// itself), in each family it has, then each isolating policy's chain, whose
    /// allowing rules end the walk; what none allows is dropped (a timeout for the
    /// client, as Kubernetes' plugins do, rather than a refusal).
    static func podChainRules(pod: Pod, _ type: PolicyType, policyChains: [String], families: [AddressFamily] = [.ipv4]) -> [NFTRule] {
        let ownTraffic = families.compactMap { family in
            pod.ip(family).map { address in
                type == .ingress
                    ? NFTRule(only(family) + NFTExpression.ipAddress(.source, equals: address) + [.verdict(.accept)], comment: "the pod itself")
                    : NFTRule(only(family) + NFTExpression.ipAddress(.destination, equals: address) + [.verdict(.goto(Names.ingress))], comment: "the pod itself")
            }
        }
        return ownTraffic + policyChains.map { NFTRule([.verdict(.jump($0))]) } + [NFTRule([.verdict(.drop)])]
    }
}
