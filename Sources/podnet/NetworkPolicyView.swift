import PodnetAddress
import PodnetKernelModel
import PodnetRender

/// NetworkPolicy as the nodes' `inet podnet-CLUSTER` tables hold it (`show`): per
/// node, each isolated pod with the policies its chain jumps to, and each peer set
/// with the selection it stands for and the addresses in it.
struct NetworkPolicyView: Encodable {
    struct IsolatedPod: Encodable {
        var namespace: String, address: String, pod: String, direction: String, chain: String, policies: [String]
    }
    struct PeerSet: Encodable {
        var namespace: String, name: String, selects: String, elements: [String]
    }

    var isolatedPods: [IsolatedPod] = []
    var sets: [PeerSet] = []

    init(cluster: String, state: KernelState) {
        typealias Names = NetworkPolicyNames
        for table in state.nftTables.values.sorted(by: { $0.id < $1.id })
        where table.id.family == .inet && table.id.name == Names.table(cluster: cluster) {
            let namespace = table.id.namespace.description
            // One row per isolated pod's address: IPv4's, then IPv6's in a dual-stack cluster.
            let dispatch = [("ingress", "to-"), ("egress", "from-")].flatMap { direction, prefix in
                AddressFamily.allCases.map { family in
                    (direction == "ingress" ? Names.ingressPods(family) : Names.egressPods(family), direction, prefix)
                }
            }
            for (map, direction, prefix) in dispatch {
                for element in table.sets[map]?.elements ?? [] {
                    guard case .verdict(let verdict)? = element.data, let chain = verdict.chain else { continue }
                    let policies = (table.chains[chain]?.rules ?? []).compactMap { rule -> String? in
                        guard let target = rule.referencedChains.first, target.hasPrefix(direction + "-") else { return nil }
                        return String(target.dropFirst(direction.count + 1))
                    }
                    isolatedPods.append(IsolatedPod(
                        namespace: namespace, address: element.key.map(\.description).joined(separator: " . "),
                        pod: chain.hasPrefix(prefix) ? String(chain.dropFirst(prefix.count)) : chain,
                        direction: direction, chain: chain, policies: policies))
                }
            }
            let maps = Set(dispatch.map(\.0))
            for set in table.sets.values.sorted(by: { $0.name < $1.name }) where !maps.contains(set.name) {
                sets.append(PeerSet(namespace: namespace, name: set.name, selects: set.comment ?? "",
                                    elements: set.elements.map { $0.key.map(\.description).joined(separator: " . ") }))
            }
        }
    }

    var isEmpty: Bool { isolatedPods.isEmpty && sets.isEmpty }

    func text() -> [String] {
        guard !isEmpty else { return [] }
        var pods = TextTable("NAMESPACE", "ISOLATED POD", "ADDRESS", "DIRECTION", "POLICIES (IN ORDER)")
        for row in isolatedPods {
            pods.add(row.namespace, row.pod, row.address, row.direction, row.policies.isEmpty ? "(none: all denied)" : row.policies.joined(separator: ", "))
        }
        var sets = TextTable("NAMESPACE", "POLICY SET", "SELECTS", "ELEMENTS")
        for row in self.sets {
            sets.add(row.namespace, row.name, row.selects, row.elements.isEmpty ? "(empty)" : row.elements.joined(separator: ", "))
        }
        return (isolatedPods.isEmpty ? [] : [pods.rendered]) + (self.sets.isEmpty ? [] : [sets.rendered])
    }
}
