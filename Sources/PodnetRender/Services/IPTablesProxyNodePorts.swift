import PodnetKernelModel
import PodnetTopology

/// The NodePorts a live cluster in iptables mode uses, read back from its rules so
/// that allocation keeps them (sticky NodePorts): every NodePort has a rule on every
/// node, in KUBE-NODEPORTS where the port has endpoints, else in the filter's
/// KUBE-EXTERNAL-SERVICES (its reject or drop for the node's own addresses). Each
/// rule names the port in its comment (`CLUSTER/SERVICE:PORT`, as
/// IPTablesProxyNames.servicePortName writes it), its protocol in `-p` and the
/// NodePort in `--dport`.
public enum IPTablesProxyNodePorts {
    /// NodePorts by `LiveAssignments.nodePortKey(service:port:protocol:)`.
    public static func read(from live: KernelState, cluster: String) -> [String: Int] {
        var nodePorts: [String: Int] = [:]
        for chain in live.iptablesChains.values {
            let isNodePorts = chain.id.table == IPTablesTable.nat.rawValue && chain.id.name == IPTablesProxyNames.nodePorts
            let isExternal = chain.id.table == IPTablesTable.filter.rawValue && chain.id.name == IPTablesProxyNames.externalServices
            guard isNodePorts || isExternal else { continue }
            for rule in chain.rules {
                // The filter chain's rules for external IPs carry their service port, not a NodePort.
                if isExternal && !rule.contains("--dst-type LOCAL") { continue }
                if let (key, nodePort) = nodePort(in: rule, cluster: cluster) { nodePorts[key] = nodePort }
            }
        }
        return nodePorts
    }

    /// The key and NodePort of one rule, if it is one of `cluster`'s.
    static func nodePort(in rule: String, cluster: String) -> (String, Int)? {
        let words = IPTablesRuleText.words(rule)
        func value(after option: String) -> String? {
            guard let index = words.firstIndex(of: option), index + 1 < words.count else { return nil }
            return words[index + 1]
        }
        // `SERVICE:PORT`, then nothing (KUBE-NODEPORTS) or ` has no …` (the filter's).
        guard let (service, port, _) = value(after: "--comment").flatMap({ IPTablesProxyNames.servicePort(inComment: $0, cluster: cluster) }),
              let proto = value(after: "-p").flatMap({ ServicePort.TransportProtocol(rawValue: $0.uppercased()) }),
              let nodePort = value(after: "--dport").flatMap(Int.init) else { return nil }
        return (LiveAssignments.nodePortKey(service: service, port: port, protocol: proto), nodePort)
    }
}
