import PodnetAddress
import PodnetKernelModel

/// Runs a packet through a namespace's iptables chains of one hook (proxy mode
/// iptables), over the rules as podnet keeps them: `iptables-save`'s canonical
/// text. It knows the matches and targets of kube-proxy's layout (`-s`, `-d`, `-p`,
/// `--dport`, `statistic`, `addrtype`, `mark`, `conntrack`, `recent`, `comment`;
/// jumps, RETURN, ACCEPT, DROP, REJECT, MARK, DNAT, MASQUERADE); a rule with any
/// other match is taken as not matching and said so. kube-proxy's random cascade
/// (each `statistic` rule 1/n of what is left) gives every endpoint an equal share:
/// the walker's choice picks one.
struct IPTablesInterpreter {
    let chains: [String: [String]]
    /// podnet's rules in the built-in chains, by table and chain.
    let builtIn: [String: [String]]
    /// `iptables` or `ip6tables`, as a matched rule's table is named (`ip6tables nat`).
    let command: String

    /// The chains of `family` (a packet's: iptables and ip6tables are apart).
    init(state: KernelState, namespace: NamespaceRef, family: AddressFamily = .ipv4) {
        command = family == .ipv4 ? "iptables" : "ip6tables"
        var chains: [String: [String]] = [:]
        for chain in state.iptablesChains.values where chain.id.namespace == namespace && chain.id.family == family {
            chains["\(chain.id.table) \(chain.id.name)"] = chain.rules
        }
        self.chains = chains
        var builtIn: [String: [String]] = [:]
        for rule in state.iptablesRules.sorted() where rule.namespace == namespace && rule.family == family {
            builtIn["\(rule.table) \(rule.chain)", default: []].append(rule.spec)
        }
        self.builtIn = builtIn
    }

    var isEmpty: Bool { chains.isEmpty && builtIn.isEmpty }

    /// The built-in chains a hook runs, in priority order (nat before filter).
    static func builtInChains(of hook: NFTBaseChain.Hook) -> [(table: String, chain: String)] {
        switch hook {
        case .prerouting: [("nat", "PREROUTING")]
        case .input: [("filter", "INPUT")]
        case .forward: [("filter", "FORWARD")]
        case .output: [("nat", "OUTPUT"), ("filter", "OUTPUT")]
        case .postrouting: [("nat", "POSTROUTING")]
        }
    }

    func run(_ table: String, _ chain: String, packet: TracedPacket, context: NFTInterpreter.Context) -> NFTInterpreter.Outcome {
        var walk = Walk(interpreter: self, table: table, context: context,
                        outcome: .init(verdict: .accept, packet: packet, matched: [], choices: [], destinationNAT: false, sourceNAT: false))
        walk.outcome.verdict = walk.run(builtIn["\(table) \(chain)"] ?? [], chain: chain, depth: 0) ?? .accept
        return walk.outcome
    }

    /// `10.200.0.2:8080`, `[fd00:200::2]:8080`, or an address alone.
    static func addressAndPort(_ text: String) -> (IPAddress, UInt16?)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            guard let address = IPAddress(text[text.index(after: text.startIndex)..<close]) else { return nil }
            let rest = text[text.index(after: close)...]
            guard !rest.isEmpty else { return (address, nil) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (address, port)
        }
        if let address = IPAddress(text) { return (address, nil) }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let address = IPAddress(parts[0]), let port = UInt16(parts[1]) else { return nil }
        return (address, port)
    }

    private struct Walk {
        let interpreter: IPTablesInterpreter
        let table: String
        let context: NFTInterpreter.Context
        var outcome: NFTInterpreter.Outcome

        /// A chain's rules; nil when it ran out (or returned), else the verdict that ended the walk.
        mutating func run(_ rules: [String], chain: String, depth: Int) -> NFTInterpreter.Outcome.Verdict? {
            guard depth < 32 else { return .drop }
            // kube-proxy's cascade: the endpoint rules of a service chain, one chosen.
            let endpoints = rules.enumerated().filter {
                Self.target(of: $0.element)?.hasPrefix("KUBE-SEP-") == true && !$0.element.contains("-m recent")
            }
            var chosenEndpoint: Int?
            if endpoints.count > 1 {
                let names = endpoints.map { rule -> String in
                    let chain = Self.target(of: rule.element) ?? ""
                    let destination = interpreter.chains["\(table) \(chain)"]?.lazy.compactMap {
                        Self.value(after: "--to-destination", in: IPTablesRuleText.words($0))
                    }.first
                    return destination.map { "\(chain) (\($0))" } ?? chain
                }
                let chosen = min(max(0, context.choose(names)), names.count - 1)
                outcome.choices.append(.init(candidates: names, chosen: chosen))
                chosenEndpoint = endpoints[chosen].offset
            }
            for (index, rule) in rules.enumerated() {
                let words = IPTablesRuleText.words(rule)
                guard matches(words, index: index, chosenEndpoint: chosenEndpoint, endpointRules: Set(endpoints.map(\.offset))) else { continue }
                outcome.matched.append(.init(table: "\(interpreter.command) \(table)", chain: chain, text: rule))
                guard let target = Self.value(after: "-j", in: words) else { continue }
                switch target {
                case "RETURN": return nil
                case "ACCEPT": return .accept
                case "DROP": return .drop
                case "REJECT":
                    return .reject(Self.value(after: "--reject-with", in: words) == "tcp-reset" ? "TCP reset" : "ICMP unreachable")
                case "MARK":
                    guard let spec = Self.value(after: "--set-xmark", in: words) else { continue }
                    let (value, mask) = Self.valueAndMask(spec)
                    outcome.packet.mark = (outcome.packet.mark & ~mask) ^ value
                case "DNAT":
                    guard let to = Self.value(after: "--to-destination", in: words),
                          let (address, port) = IPTablesInterpreter.addressAndPort(to), address.family == outcome.packet.family else { continue }
                    outcome.packet.destination = address
                    if let port { outcome.packet.destinationPort = port }
                    outcome.destinationNAT = true
                    return .accept
                case "MASQUERADE":
                    guard let address = context.masqueradeAddress else { continue }
                    outcome.packet.source = address
                    outcome.sourceNAT = true
                    return .accept
                default:
                    guard let called = interpreter.chains["\(table) \(target)"] else { continue }
                    if let verdict = run(called, chain: target, depth: depth + 1) { return verdict }
                }
            }
            return nil
        }

        /// Whether every match of the rule holds for the packet.
        func matches(_ words: [String], index: Int, chosenEndpoint: Int?, endpointRules: Set<Int>) -> Bool {
            let packet = outcome.packet
            var position = 0
            var negate = false
            while position < words.count {
                let word = words[position]
                let next = position + 1 < words.count ? words[position + 1] : ""
                var advance = 2
                var holds = true
                switch word {
                case "!": negate = true; position += 1; continue
                case "-s": holds = Self.prefix(next).map { $0.contains(packet.source) } ?? false
                case "-d": holds = Self.prefix(next).map { $0.contains(packet.destination) } ?? false
                case "-p": holds = next == packet.protocol.name.lowercased()
                case "--dport": holds = UInt16(next) == packet.destinationPort
                case "--sport": holds = UInt16(next) == packet.sourcePort
                case "--src-type": holds = next == "LOCAL" ? context.isLocal(packet.source) : false
                case "--dst-type": holds = next == "LOCAL" ? context.isLocal(packet.destination) : false
                case "--mark":
                    let (value, mask) = Self.valueAndMask(next)
                    holds = packet.mark & mask == value
                case "--ctstate": holds = next.split(separator: ",").contains(context.established ? "ESTABLISHED" : "NEW")
                case "--probability":
                    holds = chosenEndpoint.map { $0 == index } ?? true
                case "--rcheck":
                    // Session affinity: a first packet has no memory to find.
                    holds = false
                    advance = 1
                case "-m":
                    advance = 2
                case "--comment", "--mode", "--name", "--mask", "--seconds", "--reject-with", "--to-destination", "--set-xmark":
                    advance = 2
                case "--set", "--rsource", "--reap", "--random-fully":
                    advance = 1
                case "-j":
                    // The target and what follows are the action, not matches.
                    let fallback = endpointRules.contains(index) && chosenEndpoint != nil && chosenEndpoint != index
                        && !words.contains("--probability")
                    return !fallback
                default:
                    return false
                }
                if negate { holds.toggle() }
                negate = false
                guard holds else { return false }
                position += advance
            }
            return true
        }

        static func value(after flag: String, in words: [String]) -> String? {
            guard let index = words.firstIndex(of: flag), index + 1 < words.count else { return nil }
            return words[index + 1]
        }

        static func target(of rule: String) -> String? { value(after: "-j", in: IPTablesRuleText.words(rule)) }

        static func prefix(_ text: String) -> IPPrefix? {
            IPPrefix(text) ?? IPAddress(text).map { IPPrefix(address: $0, length: $0.family.addressBits) }
        }

        /// `0x4000/0x4000` → (0x4000, 0x4000); a bare value's mask is every bit.
        static func valueAndMask(_ text: String) -> (UInt32, UInt32) {
            let parts = text.split(separator: "/")
            func number(_ part: Substring) -> UInt32 { UInt32(part.dropFirst(part.hasPrefix("0x") ? 2 : 0), radix: 16) ?? 0 }
            return (number(parts[0]), parts.count == 2 ? number(parts[1]) : UInt32.max)
        }
    }
}
