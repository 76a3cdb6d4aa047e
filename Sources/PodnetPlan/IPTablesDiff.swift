import PodnetKernelModel

/// The minimal changes that turn podnet's live iptables of one namespace into the
/// desired ones. A changed service touches only its own chains (its KUBE-SVC-…
/// rewritten, new KUBE-SEP-… created, gone ones deleted, unchanged ones left alone)
/// and its rules in KUBE-SERVICES; a chain that is the same is not written.
///
/// The changes come in an order that works command by command, not only as one
/// iptables-restore transaction: rule deletions; then chains created or rewritten,
/// each after the chains it jumps to; then rules appended and jumps inserted; and
/// last the chains deleted, each before the chains it jumps to.
public enum IPTablesDiff {
    public static func changes(live: IPTablesRuleset, desired: IPTablesRuleset) -> [IPTablesChange] {
        var deletedRules: [IPTablesChange] = []
        var written: [IPTablesChange] = []
        var added: [IPTablesChange] = []
        var deletedChains: [IPTablesChange] = []
        for table in IPTablesTable.allCases {
            let have = live[table], want = desired[table]

            // podnet's jumps in built-in chains, one by one.
            for chain in table.builtinChains {
                let (missing, surplus) = multisetDifference(want.builtinRules[chain] ?? [], have.builtinRules[chain] ?? [])
                deletedRules += surplus.map { .deleteRule(table, chain: chain, rule: $0) }
                // Each goes to the top: inserted last first, they end up in the model's order.
                added += missing.reversed().map { .insertRule(table, chain: chain, rule: $0) }
            }

            // Chains podnet owns: created, rewritten, edited rule by rule, or left alone.
            var toWrite: [String: IPTablesChange] = [:]
            for (chain, rules) in want.chains {
                guard let current = have.chains[chain] else {
                    toWrite[chain] = .createChain(table, chain, rules: rules)
                    continue
                }
                guard current != rules else { continue }
                if IPTablesRuleset.unorderedChains.contains(chain) {
                    let (missing, surplus) = multisetDifference(rules, current)
                    deletedRules += surplus.map { .deleteRule(table, chain: chain, rule: $0) }
                    // New rules go to the top, before the trailing rule that must stay
                    // last (the jump to KUBE-NODEPORTS); a new trailing rule goes to the end.
                    added += missing.map { rule in
                        IPTablesRuleset.isTrailing(rule) ? .appendRule(table, chain: chain, rule: rule) : .insertRule(table, chain: chain, rule: rule)
                    }
                } else {
                    toWrite[chain] = .replaceChain(table, chain, rules: rules)
                }
            }
            written += jumpTargetsFirst(want.chains).compactMap { toWrite[$0] }

            let gone = Set(have.chains.keys).subtracting(want.chains.keys)
            deletedChains += jumpTargetsFirst(have.chains).reversed().filter(gone.contains).map { .deleteChain(table, $0) }
        }
        return deletedRules + written + added + deletedChains
    }

    /// What `want` has that `have` lacks, and what `have` has that `want` lacks,
    /// counting repeated rules (a rule a user added twice is deleted once too many).
    static func multisetDifference(_ want: [String], _ have: [String]) -> (missing: [String], surplus: [String]) {
        var counts: [String: Int] = [:]
        for rule in have { counts[rule, default: 0] += 1 }
        var missing: [String] = []
        for rule in want {
            if let count = counts[rule], count > 0 { counts[rule] = count - 1 } else { missing.append(rule) }
        }
        var surplus: [String] = []
        for rule in have where counts[rule, default: 0] > 0 {
            surplus.append(rule)
            counts[rule]! -= 1
        }
        return (missing, surplus)
    }

    /// The chains' names, each after every chain of `chains` it jumps to (depth
    /// first, by name for a stable order). iptables refuses loops, so there are none;
    /// should a live table hold one anyway, it is cut where it closes.
    static func jumpTargetsFirst(_ chains: [String: [String]]) -> [String] {
        var order: [String] = []
        var state: [String: Bool] = [:]  // false: being visited, true: done
        func visit(_ chain: String) {
            guard state[chain] == nil, let rules = chains[chain] else { return }
            state[chain] = false
            for rule in rules {
                if let target = IPTablesRuleText.target(of: rule), chains[target] != nil { visit(target) }
            }
            state[chain] = true
            order.append(chain)
        }
        for chain in chains.keys.sorted() { visit(chain) }
        return order
    }
}
