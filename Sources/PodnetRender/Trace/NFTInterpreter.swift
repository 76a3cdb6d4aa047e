import PodnetAddress
import PodnetKernelModel

/// Runs a packet through the base chains of one hook of a namespace's nf_tables
/// tables, as the kernel's nf_tables virtual machine would: expression by
/// expression, register by register, over the very rules podnet writes (the kernel
/// model's own expressions, so the trace reads what the kernel runs, not a second
/// description of it). What it cannot know from the packet alone it is told: the
/// connection's state, which addresses are local, the output device's address for
/// a masquerade, and which way a random choice (`numgen`) goes.
struct NFTInterpreter {
    /// What a hook did to the packet.
    struct Outcome {
        enum Verdict: Equatable {
            case accept
            case drop
            /// A reject: the sender is answered at once (TCP reset, ICMP error).
            case reject(String)
        }

        var verdict: Verdict
        var packet: TracedPacket
        /// The rules that decided, in order: each a chain and a rule's nft text.
        var matched: [MatchedRule]
        /// Where a random choice was made: the candidates and which one was taken.
        var choices: [RandomChoice]
        /// Whether a rule rewrote the destination (DNAT) or the source (SNAT, masquerade).
        var destinationNAT: Bool
        var sourceNAT: Bool
        /// Whether a rule said `accept` itself (a policy's allow, `ct state
        /// established accept`), rather than the chains running out.
        var acceptedByRule = false
    }

    struct MatchedRule: Equatable {
        var table: String
        var chain: String
        var text: String
    }

    /// `numgen random mod N vmap { 0 : goto A, … }`: N candidates, each 1/N.
    struct RandomChoice: Equatable {
        var candidates: [String]
        var chosen: Int
    }

    /// The kernel's view of the packet beyond its headers.
    struct Context {
        var established: Bool
        /// Whether an address is one of this namespace's own (`fib … type local`).
        var isLocal: (IPAddress) -> Bool
        /// The source address a masquerade picks: the output device's, of the packet's family.
        var masqueradeAddress: IPAddress?
        /// Which candidate a random choice takes, given their chain names.
        var choose: ([String]) -> Int
    }

    let tables: [NFTable]

    /// Every base chain of `hook` in the tables, in priority order (the kernel's); nat
    /// chains only for a connection's first packet, as the kernel consults them.
    func run(_ hook: NFTBaseChain.Hook, packet: TracedPacket, context: Context) -> Outcome {
        var outcome = Outcome(verdict: .accept, packet: packet, matched: [], choices: [], destinationNAT: false, sourceNAT: false)
        let chains = tables.flatMap { table in
            table.chains.values.compactMap { chain in chain.base.map { (table, chain, $0) } }
        }.filter { $0.2.hook == hook && !(context.established && $0.2.type == .nat) }.sorted { ($0.2.priority, $0.0.id.name, $0.1.name) < ($1.2.priority, $1.0.id.name, $1.1.name) }
        for (table, chain, base) in chains {
            var machine = Machine(table: table, context: context, outcome: outcome)
            let verdict = machine.runBase(chain.name, policy: base.policy)
            outcome = machine.outcome
            outcome.verdict = verdict
            if verdict != .accept { return outcome }
        }
        return outcome
    }

    /// One base chain's walk: the registers, the call stack of jumps, what it did.
    private struct Machine {
        let table: NFTable
        let context: Context
        var outcome: Outcome
        /// The 4-byte registers NFT_REG32_00…15 (NFT_REG_1…4 are four of them each).
        var words = [UInt8](repeating: 0, count: 64)

        init(table: NFTable, context: Context, outcome: Outcome) {
            self.table = table
            self.context = context
            self.outcome = outcome
        }

        mutating func runBase(_ name: String, policy: NFTBaseChain.Policy) -> Outcome.Verdict {
            var stack: [(chain: String, next: Int)] = []
            var chain = name
            var index = 0
            // A loop guard: a table podnet wrote has no loops, but the live one is anyone's.
            var steps = 0
            while steps < 100_000 {
                steps += 1
                guard let rules = table.chains[chain]?.rules, index < rules.count else {
                    guard let caller = stack.popLast() else { return policy == .accept ? .accept : .drop }
                    (chain, index) = caller
                    continue
                }
                let rule = rules[index]
                index += 1
                guard let verdict = evaluate(rule) else { continue }
                record(rule, in: chain)
                if let reject = pendingReject { return reject }
                switch verdict {
                case .continue: continue
                case .accept:
                    outcome.acceptedByRule = true
                    return .accept
                case .drop: return .drop
                case .return:
                    guard let caller = stack.popLast() else { return policy == .accept ? .accept : .drop }
                    (chain, index) = caller
                case .jump(let target):
                    stack.append((chain, index))
                    (chain, index) = (target, 0)
                case .goto(let target):
                    (chain, index) = (target, 0)
                }
            }
            return .drop
        }

        private var pendingReject: Outcome.Verdict?

        mutating func record(_ rule: NFTRule, in chain: String) {
            let text = NFTSyntax.text(of: rule, family: table.id.family) ?? "(a rule nft cannot print)"
            outcome.matched.append(MatchedRule(table: "\(table.id.family) \(table.id.name)", chain: chain, text: text))
        }

        /// Runs a rule's expressions; nil when a test fails (the rule does not match),
        /// else its verdict (`continue` for a rule that only acts, as `masquerade`).
        mutating func evaluate(_ rule: NFTRule) -> NFTVerdict? {
            var verdict: NFTVerdict = .continue
            for expression in rule.expressions {
                switch expression {
                case .payload(let payload):
                    let source: [UInt8]
                    switch payload.base {
                    case .network: source = outcome.packet.networkHeader
                    case .transport: source = outcome.packet.transportHeader
                    default: return nil
                    }
                    let start = Int(payload.offset), end = start + Int(payload.length)
                    guard end <= source.count else { return nil }
                    store(Array(source[start..<end]), in: payload.destination)
                case .metaLoad(let key, let register):
                    switch key {
                    case .l4proto: store([outcome.packet.protocol.rawValue], in: register)
                    case .nfproto:
                        store([outcome.packet.family == .ipv4 ? NFTExpression.nfprotoIPv4 : NFTExpression.nfprotoIPv6], in: register)
                    case .mark: store(NFTExpression.hostBytes(outcome.packet.mark), in: register)
                    default: return nil
                    }
                case .metaSet(let key, let register):
                    guard key == .mark else { return nil }
                    outcome.packet.mark = load(register, count: 4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                case .conntrackLoad(let key, let register):
                    guard key == .state else { return nil }
                    let bits = context.established ? NFTConntrackKey.stateEstablished : NFTConntrackKey.stateNew
                    store(NFTExpression.hostBytes(bits), in: register)
                case .compare(let comparison):
                    let value = load(comparison.register, count: comparison.data.count)
                    guard Self.holds(comparison.op, value, comparison.data) else { return nil }
                case .bitwise(let bitwise):
                    let value = load(bitwise.source, count: bitwise.mask.count)
                    store(zip(zip(value, bitwise.mask), bitwise.xor).map { ($0.0 & $0.1) ^ $1 }, in: bitwise.destination)
                case .immediate(let register, let data):
                    switch data {
                    case .verdict(let value): verdict = value
                    case .value(let bytes): store(bytes, in: register)
                    }
                case .lookup(let lookup):
                    guard let result = self.lookup(lookup) else { return nil }
                    if let chosen = result { verdict = chosen }
                case .numberGenerator(let generator):
                    store(NFTExpression.hostBytes(choose(generator, in: rule)), in: generator.destination)
                case .nat(let nat):
                    guard let addressRegister = nat.addressRegister, let family = nat.family.addressFamily ?? Optional(outcome.packet.family),
                          family == outcome.packet.family,
                          let address = IPAddress(bytes: load(addressRegister, count: family.addressBytes)) else { return nil }
                    let port = nat.portRegister.map { register -> UInt16 in
                        let bytes = load(register, count: 2)
                        return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
                    }
                    if nat.kind == .dnat {
                        outcome.packet.destination = address
                        if let port { outcome.packet.destinationPort = port }
                        outcome.destinationNAT = true
                    } else {
                        outcome.packet.source = address
                        if let port { outcome.packet.sourcePort = port }
                        outcome.sourceNAT = true
                    }
                    verdict = .accept
                case .masquerade:
                    guard let address = context.masqueradeAddress else { return nil }
                    outcome.packet.source = address
                    outcome.sourceNAT = true
                    verdict = .accept
                case .reject(let reject):
                    pendingReject = .reject(reject.kind == .tcpReset ? "TCP reset" : outcome.packet.family == .ipv4 ? "ICMP unreachable" : "ICMPv6 unreachable")
                    verdict = .drop
                case .dynamicSetUpdate:
                    // Session affinity's memory: the packet path's own, nothing to decide.
                    break
                case .fib(let fib):
                    guard fib.result == .addressType else { return nil }
                    let address = fib.flags & NFTFib.sourceAddress != 0 ? outcome.packet.source : outcome.packet.destination
                    store(NFTExpression.hostBytes(context.isLocal(address) ? NFTFib.local : 1), in: fib.destination)
                case .unrecognized:
                    return nil
                }
            }
            return verdict
        }

        /// A set look-up: nil when it fails (the rule does not match); `.some(nil)` for a
        /// plain set that holds the key; `.some(verdict)` for a verdict map's element.
        mutating func lookup(_ lookup: NFTLookup) -> NFTVerdict?? {
            let elements: [NFTSetElement]
            let keyType: [NFTDataType]
            switch lookup.set {
            case .named(let name):
                guard let set = table.sets[name] else { return nil }
                (elements, keyType) = (set.elements, set.keyType)
            case .anonymous(let set):
                (elements, keyType) = (set.elements, set.keyType)
            }
            let key = load(lookup.source, count: NFTSet.keyLength(of: keyType))
            let found = elements.first { Self.matches($0, key: key, type: keyType) }
            if lookup.inverted { return found == nil ? .some(nil) : nil }
            guard let found else { return nil }
            guard lookup.destination == NFTRegister.verdict else { return .some(nil) }
            guard case .verdict(let verdict)? = found.data else { return nil }
            return .some(verdict)
        }

        /// A `numgen` value: the walker's choice among the chains of the verdict map
        /// that follows it in the rule (`numgen random mod N vmap { 0 : goto A, … }`,
        /// the only shape podnet writes).
        mutating func choose(_ generator: NFTNumberGenerator, in rule: NFTRule) -> UInt32 {
            let modulus = Int(generator.modulus)
            var candidates = (0..<modulus).map { "#\($0)" }
            for case .lookup(let lookup) in rule.expressions {
                guard case .anonymous(let set) = lookup.set else { continue }
                let names = set.elements.sorted().compactMap { element -> String? in
                    if case .verdict(let verdict)? = element.data { return verdict.chain }
                    return nil
                }
                if names.count == modulus { candidates = names }
            }
            let chosen = min(max(0, context.choose(candidates)), modulus - 1)
            outcome.choices.append(RandomChoice(candidates: candidates, chosen: chosen))
            return UInt32(chosen) + generator.offset
        }

        static func matches(_ element: NFTSetElement, key: [UInt8], type: [NFTDataType]) -> Bool {
            element.keyBytes == key
        }

        static func holds(_ op: NFTComparison.Operator, _ value: [UInt8], _ data: [UInt8]) -> Bool {
            let order: Int = value.lexicographicallyPrecedes(data) ? -1 : (value == data ? 0 : 1)
            switch op {
            case .equal: return order == 0
            case .notEqual: return order != 0
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            case .greaterOrEqual: return order >= 0
            }
        }

        /// The byte offset of a register: NFT_REG_1…4 are 16 bytes each, NFT_REG32_00…15
        /// 4 bytes each, over the same memory.
        static func offset(of register: UInt32) -> Int? {
            switch register {
            case 1...4: return Int(register - 1) * 16
            case 8...23: return Int(register - 8) * 4
            default: return nil
            }
        }

        /// As the kernel stores a value: the 4-byte words it covers zeroed first, so
        /// that a 2-byte port leaves no stale bytes in its word.
        mutating func store(_ bytes: [UInt8], in register: UInt32) {
            guard let start = Self.offset(of: register) else { return }
            let padded = (bytes.count + 3) & ~3
            for index in start..<min(words.count, start + padded) { words[index] = 0 }
            for (index, byte) in bytes.enumerated() where start + index < words.count { words[start + index] = byte }
        }

        func load(_ register: UInt32, count: Int) -> [UInt8] {
            guard let start = Self.offset(of: register) else { return [UInt8](repeating: 0, count: count) }
            return (start..<(start + count)).map { $0 < words.count ? words[$0] : 0 }
        }
    }
}
