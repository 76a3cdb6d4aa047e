import PodnetKernelModel

/// One namespace's iptables operations as a single `iptables-restore --noflush`
/// input: one transaction per table, as kube-proxy writes it. Within a table: chain
/// declarations first (a declared chain is created, or flushed if it exists), then
/// their rules, then the jumps added to and removed from built-in chains, and last
/// the chains to delete (flushed, then removed, once nothing jumps to them).
public enum IPTablesRestoreScript {
    public static func text(for operations: [Operation]) -> String {
        var text = ""
        for table in ["nat", "filter"] {
            var declarations: [String] = []
            var rules: [String] = []
            var jumps: [String] = []
            var flushes: [String] = []
            var removals: [String] = []
            for operation in operations {
                switch operation {
                case .setIPTablesChain(let chain, _) where chain.id.table == table:
                    declarations.append(":\(chain.id.name) - [0:0]")
                    rules += chain.rules.map { "-A \(chain.id.name) \($0)" }
                case .addIPTablesRule(let rule) where rule.table == table:
                    jumps.append("-I \(rule.chain) \(rule.spec)")
                case .deleteIPTablesRule(let rule) where rule.table == table:
                    jumps.append("-D \(rule.chain) \(rule.spec)")
                case .deleteIPTablesChain(let id) where id.table == table:
                    flushes.append("-F \(id.name)")
                    removals.append("-X \(id.name)")
                default:
                    break
                }
            }
            let lines = declarations + rules + jumps + flushes + removals
            guard !lines.isEmpty else { continue }
            text += "*\(table)\n" + lines.joined(separator: "\n") + "\nCOMMIT\n"
        }
        return text
    }
}
