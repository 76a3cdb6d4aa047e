/// Reads `iptables-save` output: the chains podnet owns (whole) and its rules in
/// built-in chains (by their `podnet:CLUSTER` comment). Everything else is ignored.
public enum IPTablesSave {
    public static let tables: Set<String> = ["nat", "filter"]

    public static func parse(_ text: String, namespace: NamespaceRef, cluster: String)
        -> (chains: [IPTablesChain], rules: [IPTablesRule]) {
        let mark = IPTablesRule.mark(cluster: cluster)
        var table: String?
        var chains: [String: IPTablesChain] = [:]
        var order: [String] = []
        var rules: [IPTablesRule] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("*") {
                let name = String(line.dropFirst())
                table = tables.contains(name) ? name : nil
                continue
            }
            guard let current = table else { continue }
            if line.hasPrefix(":") {
                let name = String(line.dropFirst().prefix { $0 != " " })
                if IPTablesChain.isPodnets(name) {
                    let key = "\(current) \(name)"
                    chains[key] = IPTablesChain(id: .init(namespace: namespace, table: current, name: name), rules: [])
                    order.append(key)
                }
            } else if line.hasPrefix("-A ") {
                let rest = line.dropFirst(3)
                let name = String(rest.prefix { $0 != " " })
                let spec = String(rest.dropFirst(name.count).drop { $0 == " " })
                if IPTablesChain.isPodnets(name) {
                    chains["\(current) \(name)"]?.rules.append(spec)
                } else if spec.contains(mark + " ") || spec.contains(mark + "\"") || spec.hasSuffix(mark) {
                    rules.append(IPTablesRule(namespace: namespace, table: current, chain: name, spec: spec))
                }
            }
        }
        return (order.compactMap { chains[$0] }, rules)
    }
}
