import PodnetAddress
import PodnetKernelModel
import PodnetPolicy
import PodnetTopology

/// A policy's rules as nft rules: peers, families and ports.
extension NetworkPolicyRenderer {
    private typealias Names = NetworkPolicyNames

    /// One nft rule per peer, family and port of a policy rule (every peer or port
    /// where it lists none). An ingress peer is the source, an egress peer the
    /// destination. Pod selections and "every peer" are matched in each family; an
    /// ipBlock in its own alone.
    static func rules(for rule: NetworkPolicyRule, index: Int, of policy: NetworkPolicy, _ type: PolicyType,
                      families: [AddressFamily] = [.ipv4]) -> [NFTRule] {
        let verdict: NFTVerdict = type == .ingress ? .accept : .goto(Names.ingress)
        let field: NFTAddressField = type == .ingress ? .source : .destination
        let peers: [(AddressFamily, [NFTExpression])] = rule.peers.isEmpty ? families.map { ($0, []) } : rule.peers.flatMap { peer in
            if let block = peer.ipBlock {
                guard families.contains(block.family) else { return [(AddressFamily, [NFTExpression])]() }
                return [(block.family, block.except.reduce(NFTExpression.ipAddress(field, in: block.cidr)) {
                    $0 + NFTExpression.ipAddress(field, in: $1, negated: true)
                })]
            }
            guard let selection = PodSelection(peer: peer, of: policy) else { return [] }
            return families.map { family in
                (family, NFTExpression.ipAddressLoad(field, family: family) + [NFTExpression.setMembership(Names.selectionSet(selection, family))])
            }
        }
        let comment = "\(policy.qualifiedName) \(type.rulesKey)[\(index)]"
        // Every rule matches address fields (or will, with its port's set), so every
        // rule says its family first.
        return peers.flatMap { family, peer in
            let ports: [[NFTExpression]] = rule.ports.isEmpty ? [[]] : rule.ports.map { portMatch($0, family: family) }
            return ports.map { port in NFTRule(only(family) + peer + port + [.verdict(verdict)], comment: comment) }
        }
    }

    /// A policy port: `meta l4proto P`, then `th dport N`, a range, or a named
    /// port's set of `family` (resolved on the destination pod).
    static func portMatch(_ port: NetworkPolicyPort, family: AddressFamily = .ipv4) -> [NFTExpression] {
        let proto = NFTExpression.layer4Protocol(equals: port.protocol.number)
        switch port.port {
        case nil:
            return proto
        case .number(let first)?:
            guard let last = port.endPort, last != first else { return proto + NFTExpression.destinationPort(equals: UInt16(first)) }
            return proto + NFTExpression.destinationPort(in: UInt16(first)...UInt16(last))
        case .name(let name)?:
            return proto + NFTExpression.serviceTuple(family) + [NFTExpression.setMembership(Names.namedPortSet(name, family))]
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
