import PodnetAddress
import PodnetKernelModel
import PodnetPolicy
import PodnetTopology

/// Topology → the NetworkPolicy table of one node, `table inet podnet-CLUSTER`,
/// whatever the proxy mode (the service proxy's table is `ip podnet-CLUSTER`, or
/// iptables, or IPVS: policy lives apart from all three, so a mode switch never
/// touches it). Family inet: one table for both address families once dual stack
/// comes; every rule matching IPv4 fields says `meta nfproto ipv4` first, so that
/// IPv6 packets pass untouched rather than being read at IPv4 offsets.
///
/// It filters where Kubernetes says policies apply: after the service's DNAT (the
/// forward and output hooks come after prerouting's and output's dstnat), so a
/// rule sees the endpoint pod and its target port. Pods on one bridge are filtered
/// too: with br_netfilter (`bridge-nf-call-iptables`, set whenever the cluster has
/// policies) bridged IPv4 crosses the forward hook.
///
/// ```
/// forward (filter, hook forward):  ct state established,related accept; goto pod-policies
/// output  (filter, hook output):   ct state established,related accept; fib saddr type local accept; goto pod-policies
/// pod-policies: ip saddr vmap @egress-pods (→ jump from-POD); goto ingress
/// ingress:      ip daddr vmap @ingress-pods (→ jump to-POD); accept
/// from-POD:     ip daddr POD goto ingress; jump egress-NS/POLICY …; drop
/// to-POD:       ip saddr POD accept;       jump ingress-NS/POLICY …; drop
/// egress-NS/POLICY:  PEER PORT goto ingress   (one rule per peer and port)
/// ingress-NS/POLICY: PEER PORT accept
/// ```
///
/// Egress is decided first, at the sender's node; a connection it allows goes on
/// to ingress, decided at the receiver's node (the same node for pods of one).
/// Both are terminal (`accept` or `drop`), so an allowing rule deep in a policy
/// chain ends the walk at once. A pod isolated by no policy has no chain and no
/// element: its traffic costs one map look-up per direction. Peers are named sets
/// of pod addresses, one per distinct selection (`PodSelection`), shared by every
/// policy using it: a pod's arrival, departure or relabelling changes set elements,
/// not rules. Named ports are one set per name of every pod's `address . protocol
/// . port`, looked up with the packet's destination: Kubernetes resolves a named
/// port on the destination pod, for ingress and egress alike.
///
/// Only new connections meet the rules (`ct state established,related accept`
/// first): replies of an allowed one pass. The output hook matters only where the
/// node forwards from its own output path, as IPVS does after choosing an endpoint;
/// the node's own traffic (`fib saddr type local`) is never a pod's egress.
public struct NetworkPolicyRenderer: Sendable {
    public let topology: Topology
    let evaluator: PolicyEvaluator
    /// Per policy and direction: the rules of its chain (the same on every node).
    let policyChains: [String: NFTChain]
    /// Every selection a policy chain looks up, with its pods' addresses.
    let selectionSets: [String: NFTSet]
    let namedPortSets: [String: NFTSet]

    public init(topology: Topology) {
        self.topology = topology
        let evaluator = PolicyEvaluator(topology: topology)
        self.evaluator = evaluator
        var chains: [String: NFTChain] = [:]
        var selections: [String: NFTSet] = [:]
        var portNames: Set<String> = []
        for policy in topology.networkPolicies {
            for type in PolicyType.allCases where policy.affects(type) {
                let name = NetworkPolicyNames.policyChain(policy, type)
                let rules = policy.rules(type).enumerated().flatMap { Self.rules(for: $1, index: $0, of: policy, type) }
                chains[name] = NFTChain(name: name, rules: rules)
                for rule in policy.rules(type) {
                    for peer in rule.peers {
                        guard let selection = PodSelection(peer: peer, of: policy) else { continue }
                        let setName = NetworkPolicyNames.selectionSet(selection)
                        guard selections[setName] == nil else { continue }
                        selections[setName] = NFTSet(
                            name: setName, keyType: [.ipv4Address], comment: selection.description,
                            elements: evaluator.pods(in: selection).map { NFTSetElement(key: [.ipv4($0.ip)]) })
                    }
                    for port in rule.ports { if case .name(let name)? = port.port { portNames.insert(name) } }
                }
            }
        }
        policyChains = chains
        selectionSets = selections
        namedPortSets = Dictionary(uniqueKeysWithValues: portNames.map { name in
            let elements = topology.pods.flatMap { pod in
                pod.ports.filter { $0.name == name }.map { port in
                    NFTSetElement(key: [.ipv4(pod.ip), .inetProto(port.protocol.number), .inetService(UInt16(port.port))])
                }
            }
            let setName = NetworkPolicyNames.namedPortSet(name)
            return (setName, NFTSet(name: setName, keyType: [.ipv4Address, .inetProto, .inetService],
                                    comment: "pods' ports named \(name)", elements: elements))
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
        var egressPods: [NFTSetElement] = []
        var ingressPods: [NFTSetElement] = []
        var usedPolicyChains: Set<String> = []
        for pod in topology.pods(on: node.name) {
            for type in PolicyType.allCases {
                let policies = evaluator.isolatingPolicies(of: pod.name, type)
                guard !policies.isEmpty else { continue }
                let chain = type == .ingress ? Names.ingressChain(pod: pod.name) : Names.egressChain(pod: pod.name)
                let names = policies.map { Names.policyChain($0, type) }
                usedPolicyChains.formUnion(names)
                table.insert(NFTChain(name: chain, rules: Self.podChainRules(pod: pod, type, policyChains: names)))
                let element = NFTSetElement(key: [.ipv4(pod.ip)], data: .verdict(.jump(chain)))
                if type == .ingress { ingressPods.append(element) } else { egressPods.append(element) }
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
        table.sets[Names.egressPods]!.elements = egressPods
        table.sets[Names.ingressPods]!.elements = ingressPods
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
        table.insert(NFTChain(name: Names.podPolicies, rules: [
            NFTRule(Self.ipv4 + NFTExpression.ipAddressLoad(.source) + [NFTExpression.verdictMap(.named(Names.egressPods))]),
            NFTRule([.verdict(.goto(Names.ingress))]),
        ]))
        table.insert(NFTChain(name: Names.ingress, rules: [
            NFTRule(Self.ipv4 + NFTExpression.ipAddressLoad(.destination) + [NFTExpression.verdictMap(.named(Names.ingressPods))]),
            NFTRule([.verdict(.accept)]),
        ]))
        table.insert(NFTSet(name: Names.egressPods, keyType: [.ipv4Address], dataType: .verdict,
                            comment: "this node's pods isolated for egress, to their chain"))
        table.insert(NFTSet(name: Names.ingressPods, keyType: [.ipv4Address], dataType: .verdict,
                            comment: "this node's pods isolated for ingress, to their chain"))
    }

    /// `meta nfproto ipv4`: what nft puts before an IPv4 field in an inet table.
    static let ipv4 = NFTExpression.networkProtocol(equals: NFTExpression.nfprotoIPv4)

    /// An isolated pod's chain: its traffic with itself passes (a pod calling its
    /// own service, hairpinned back; Kubernetes never filters a pod's traffic to
    /// itself), then each isolating policy's chain, whose allowing rules end the
    /// walk; what none allows is dropped (a timeout for the client, as Kubernetes'
    /// plugins do, rather than a refusal).
    static func podChainRules(pod: Pod, _ type: PolicyType, policyChains: [String]) -> [NFTRule] {
        let ownTraffic = type == .ingress
            ? NFTRule(ipv4 + NFTExpression.ipAddress(.source, equals: pod.ip) + [.verdict(.accept)], comment: "the pod itself")
            : NFTRule(ipv4 + NFTExpression.ipAddress(.destination, equals: pod.ip) + [.verdict(.goto(Names.ingress))], comment: "the pod itself")
        return [ownTraffic] + policyChains.map { NFTRule([.verdict(.jump($0))]) } + [NFTRule([.verdict(.drop)])]
    }

    // MARK: Policy rules

    /// One nft rule per peer and port of a policy rule (every peer or port where it
    /// lists none). An ingress peer is the source, an egress peer the destination.
    static func rules(for rule: NetworkPolicyRule, index: Int, of policy: NetworkPolicy, _ type: PolicyType) -> [NFTRule] {
        let verdict: NFTVerdict = type == .ingress ? .accept : .goto(Names.ingress)
        let field: NFTAddressField = type == .ingress ? .source : .destination
        let peers: [[NFTExpression]] = rule.peers.isEmpty ? [[]] : rule.peers.map { peer in
            if let block = peer.ipBlock {
                return block.except.reduce(NFTExpression.ipAddress(field, in: block.cidr)) {
                    $0 + NFTExpression.ipAddress(field, in: $1, negated: true)
                }
            }
            guard let selection = PodSelection(peer: peer, of: policy) else { return [] }
            return NFTExpression.ipAddressLoad(field) + [NFTExpression.setMembership(Names.selectionSet(selection))]
        }
        let ports: [[NFTExpression]] = rule.ports.isEmpty ? [[]] : rule.ports.map(portMatch)
        let comment = "\(policy.qualifiedName) \(type.rulesKey)[\(index)]"
        // Every rule matches IPv4 fields (or will, with its port's set), so every rule
        // says so first.
        return peers.flatMap { peer in ports.map { port in NFTRule(ipv4 + peer + port + [.verdict(verdict)], comment: comment) } }
    }

    /// A policy port: `meta l4proto P`, then `th dport N`, a range, or a named
    /// port's set (resolved on the destination pod).
    static func portMatch(_ port: NetworkPolicyPort) -> [NFTExpression] {
        let proto = NFTExpression.layer4Protocol(equals: port.protocol.number)
        switch port.port {
        case nil:
            return proto
        case .number(let first)?:
            guard let last = port.endPort, last != first else { return proto + NFTExpression.destinationPort(equals: UInt16(first)) }
            return proto + NFTExpression.destinationPort(in: UInt16(first)...UInt16(last))
        case .name(let name)?:
            return proto + NFTExpression.serviceTuple + [NFTExpression.setMembership(Names.namedPortSet(name))]
        }
    }
}

extension PortProtocol {
    /// IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP.
    var number: UInt8 {
        switch self {
        case .tcp: return 6
        case .udp: return 17
        case .sctp: return 132
        }
    }
}
