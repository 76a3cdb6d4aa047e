import PodnetAddress
import PodnetKernelModel

/// Where the kernel's path differs from the model's (`trace --live`): hop by hop,
/// the namespace and what happened there, then the outcome, the reply's too.
public enum TraceComparison {
    public static func differences(model: PacketPath, kernel: PacketPath) -> [String] {
        var lines = compare(model.hops, kernel.hops, label: "hop")
        if model.outcome != kernel.outcome {
            lines.append("outcome: the file's \(PacketPathText.outcome(model.outcome)); the kernel's \(PacketPathText.outcome(kernel.outcome))")
        }
        lines += compare(model.reply ?? [], kernel.reply ?? [], label: "reply hop")
        if model.replyOutcome != kernel.replyOutcome, let a = model.replyOutcome ?? kernel.replyOutcome {
            let b = model.replyOutcome == nil ? "none" : PacketPathText.outcome(model.replyOutcome!)
            let c = kernel.replyOutcome == nil ? "none" : PacketPathText.outcome(kernel.replyOutcome!)
            _ = a
            lines.append("reply outcome: the file's \(b); the kernel's \(c)")
        }
        return lines
    }

    static func compare(_ model: [PacketPath.Hop], _ kernel: [PacketPath.Hop], label: String) -> [String] {
        var lines: [String] = []
        for index in 0..<max(model.count, kernel.count) {
            let a = index < model.count ? model[index] : nil
            let b = index < kernel.count ? kernel[index] : nil
            guard a != b else { continue }
            // The first difference explains the rest: the paths have parted.
            lines.append("\(label) \(index + 1): the file's [\(a?.namespace ?? "-")] \(a?.text ?? "(none)"); the kernel's [\(b?.namespace ?? "-")] \(b?.text ?? "(none)")")
            break
        }
        return lines
    }
}

/// What the kernel's nftrace reported of a probe: a rule that matched, in the words
/// of the trace (`ip podnet-lab`, `inet podnet-lab`, `iptables nat`).
public struct KernelRuleEvent: Sendable, Equatable {
    public var namespace: String
    public var table: String
    public var chain: String

    public init(namespace: String, table: String, chain: String) {
        self.namespace = namespace
        self.table = table
        self.chain = chain
    }
}

extension TraceComparison {
    /// The rules the model's packet and reply met, held against those the kernel
    /// traced for a real probe, namespace by namespace, in order: the first place
    /// where they part, a line per namespace. Only tables the model knows are
    /// compared (a host's own tables are not the trace's). A probe marks its packets
    /// by the sender's port; where the source was translated (masquerade picks a port
    /// of its own), the reply carries another and is not marked: only the way there
    /// is compared then, and so it is for UDP (with no listener, the answer is an ICMP
    /// error, which carries no port).
    public static func nftraceDifferences(model: PacketPath, kernel: [KernelRuleEvent], replyIsMarked: Bool = true) -> [String] {
        let expected = model.rules + (model.sourceTranslated || !replyIsMarked ? [] : model.replyRules)
        var namespaces: [String] = []
        for rule in expected where !namespaces.contains(rule.namespace) { namespaces.append(rule.namespace) }
        for event in kernel where !namespaces.contains(event.namespace) { namespaces.append(event.namespace) }
        let known = Set(expected.map { "\($0.namespace) \($0.table)" })
        var lines: [String] = []
        for namespace in namespaces {
            let wanted = expected.filter { $0.namespace == namespace }.map { "\($0.table) \($0.chain)" }
            let traced = kernel.filter { $0.namespace == namespace && known.contains("\(namespace) \($0.table)") }
                .map { "\($0.table) \($0.chain)" }
            guard wanted != traced else { continue }
            let index = (0..<min(wanted.count, traced.count)).first { wanted[$0] != traced[$0] } ?? min(wanted.count, traced.count)
            let a = index < wanted.count ? wanted[index] : "(no more rules)"
            let b = index < traced.count ? traced[index] : "(no more rules)"
            lines.append("[\(namespace)] nftrace: rule \(index + 1) the packet met: the trace's \(a); the kernel's \(b)")
        }
        return lines
    }
}

/// Which endpoint a real probe's connection went to, from the chains the kernel
/// traced: nftables' `endpoint-…__IP/PORT`, iptables' KUBE-SEP chain (its DNAT's
/// address). nil when the trace shows none (no service on the way, or IPVS, whose
/// scheduling nftrace does not see).
public enum KernelEndpointChoice {
    public static func endpoint(in events: [KernelRuleEvent], state: KernelState) -> IPAddress? {
        for event in events {
            // `endpoint-HASH-SERVICE/PROTO/PORT__IP/TARGET`: the address after the last
            // `__`, an IPv6 one with its colons written as dots (`fd00.200..2`).
            let parts = event.chain.split(separator: "__", omittingEmptySubsequences: false)
            if event.chain.hasPrefix("endpoint-"), parts.count > 1, let text = parts.last?.split(separator: "/").first,
               let address = IPv4Address(text).map(IPAddress.v4) ?? IPv6Address(String(text.map { $0 == "." ? ":" : $0 })).map(IPAddress.v6) {
                return address
            }
            guard event.chain.hasPrefix("KUBE-SEP-") else { continue }
            let namespace = PacketWalker.namespace(named: event.namespace)
            for family in AddressFamily.allCases {
                guard let chain = state.iptablesChains[IPTablesChain.ID(namespace: namespace, family: family, table: "nat", name: event.chain)],
                      let destination = chain.rules.lazy.compactMap({ IPTablesRuleText.words($0).split(separator: "--to-destination").dropFirst().first?.first }).first,
                      let (address, _) = IPTablesInterpreter.addressAndPort(String(destination)) else { continue }
                return address
            }
        }
        return nil
    }
}
