import PodnetAddress

/// The model in nft's own language: what `nft list` would show and `nft -f` reads.
/// podnet uses it to print plans as commands a student can paste, and to give
/// `nft -f` the same ruleset for comparison.
///
/// Rules are decompiled from their expressions (as nft itself does), for the
/// expression sequences nft emits for its common statements; anything else makes
/// `text(of:)` return nil rather than a guess.
public enum NFTSyntax {
    // MARK: Definitions

    /// `table ip podnet-lab { comment "…" ; }` (for `add`).
    public static func tableDefinition(_ table: NFTable) -> String {
        var text = "table \(table.id.family) \(table.id.name)"
        if let comment = table.comment { text += " { comment \(quoted(comment)) ; }" }
        return text
    }

    /// `chain ip podnet-lab nat-prerouting { type nat hook prerouting priority dstnat ; policy accept ; }`.
    public static func chainDefinition(_ chain: NFTChain, in table: NFTable.ID) -> String {
        var text = "chain \(table.family) \(table.name) \(chain.name)"
        if let base = chain.base {
            text += " { type \(base.type.rawValue) hook \(base.hook) priority \(priorityText(base.priority, hook: base.hook)) ;"
            text += " policy \(base.policy == .accept ? "accept" : "drop") ; }"
        }
        return text
    }

    /// `map ip podnet-lab service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }`.
    public static func setDefinition(_ set: NFTSet, in table: NFTable.ID) -> String {
        var text = "\(set.isMap ? "map" : "set") \(table.family) \(table.name) \(set.name) { type \(typeText(set.keyType))"
        if let data = set.dataType { text += " : \(dataTypeText(data))" }
        text += " ;"
        let flags = flagsText(set.flags)
        if !flags.isEmpty { text += " flags \(flags) ;" }
        if let timeout = set.timeoutMilliseconds { text += " timeout \(durationText(milliseconds: timeout)) ;" }
        if let comment = set.comment { text += " comment \(quoted(comment)) ;" }
        return text + " }"
    }

    /// `10.96.0.2 . tcp . 8080 : goto service-…`.
    public static func elementText(_ element: NFTSetElement) -> String {
        var text = element.key.map(\.description).joined(separator: " . ")
        switch element.data {
        case .verdict(let verdict): text += " : " + verdictText(verdict)
        case .value(let bytes): text += " : " + hexText(bytes)
        case nil: break
        }
        return text
    }

    /// `{ a, b }` with one space inside the braces, as nft prints short sets.
    public static func elementsText(_ elements: [NFTSetElement]) -> String {
        "{ " + elements.map(elementText).joined(separator: ", ") + " }"
    }

    public static func verdictText(_ verdict: NFTVerdict) -> String {
        switch verdict {
        case .accept: return "accept"
        case .drop: return "drop"
        case .continue: return "continue"
        case .return: return "return"
        case .jump(let chain): return "jump \(chain)"
        case .goto(let chain): return "goto \(chain)"
        }
    }

    public static func typeText(_ type: [NFTDataType]) -> String {
        type.map(\.nftName).joined(separator: " . ")
    }

    static func dataTypeText(_ type: NFTSetDataType) -> String {
        switch type {
        case .verdict: return "verdict"
        case .value(let value): return value.nftName
        }
    }

    /// nft's duration syntax: `3h`, `10800s` is printed `3h`; `1h30m`; `250ms`.
    static func durationText(milliseconds: UInt64) -> String {
        var rest = milliseconds
        var text = ""
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] as [(String, UInt64)] {
            if rest >= size {
                text += "\(rest / size)\(unit)"
                rest %= size
            }
        }
        return text.isEmpty ? "0s" : text
    }

    static func flagsText(_ flags: NFTSetFlags) -> String {
        var names: [String] = []
        if flags.contains(.constant) { names.append("constant") }
        if flags.contains(.interval) { names.append("interval") }
        if flags.contains(.timeout) { names.append("timeout") }
        if flags.contains(.dynamic) { names.append("dynamic") }
        return names.joined(separator: ", ")
    }

    /// nft's priority names where nft accepts them in family ip (`dstnat` in
    /// prerouting, `srcnat` in postrouting, `filter` anywhere), else the number.
    static func priorityText(_ priority: Int32, hook: NFTBaseChain.Hook) -> String {
        let (name, base): (String, Int32)
        switch hook {
        case .prerouting: (name, base) = ("dstnat", NFTBaseChain.dstnatPriority)
        case .postrouting: (name, base) = ("srcnat", NFTBaseChain.srcnatPriority)
        case .input, .forward, .output: (name, base) = ("filter", 0)
        }
        let offset = Int(priority) - Int(base)
        if offset == 0 { return name }
        if abs(offset) <= 50 { return "\(name) \(offset > 0 ? "+" : "-") \(abs(offset))" }
        return String(priority)
    }

    /// A string in nft's double quotes (nft has no escapes; quotes are dropped).
    public static func quoted(_ text: String) -> String {
        "\"" + text.filter { $0 != "\"" } + "\""
    }

    // MARK: Rules

    /// The rule as nft prints it, or nil when it holds expressions nft's statements
    /// do not produce in this form.
    /// - Parameter family: the table's family, which decides what `reject` alone means.
    public static func text(of rule: NFTRule, family: NFTFamily = .ip) -> String? {
        var decompiler = RuleDecompiler(family: family)
        for expression in rule.expressions {
            guard decompiler.feed(expression) else { return nil }
        }
        guard decompiler.pending.isEmpty else { return nil }
        var words = decompiler.statements
        if let comment = rule.comment { words.append("comment \(quoted(comment))") }
        return words.joined(separator: " ")
    }

    static func hexText(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

/// Turns expression sequences back into nft statements, register by register.
private struct RuleDecompiler {
    /// What a register holds: a packet field (with its type, and the bytes that were
    /// loaded if fewer than the field's), or an immediate value.
    enum Content {
        case field(name: String, type: NFTDataType?, loadedBytes: Int, mask: [UInt8]?, xor: [UInt8]?)
        case value([UInt8])
    }

    /// The table's family.
    var family: NFTFamily
    var registers: [UInt32: Content] = [:]
    /// Fields loaded and not yet used, in load order (a concatenation is several).
    var pending: [UInt32] = []
    var statements: [String] = []

    mutating func feed(_ expression: NFTExpression) -> Bool {
        switch expression {
        case .payload(let payload):
            guard let (name, type, size) = Self.field(payload) else { return false }
            load(payload.destination, .field(name: name, type: type, loadedBytes: Int(payload.length) == size ? size : Int(payload.length), mask: nil, xor: nil))
        case .metaLoad(let key, let register):
            switch key {
            case .l4proto: load(register, .field(name: "meta l4proto", type: .inetProto, loadedBytes: 1, mask: nil, xor: nil))
            case .mark: load(register, .field(name: "meta mark", type: .mark, loadedBytes: 4, mask: nil, xor: nil))
            case .nfproto: load(register, .field(name: "meta nfproto", type: nil, loadedBytes: 1, mask: nil, xor: nil))
            default: return false
            }
        case .conntrackLoad(let key, let register):
            guard key == .state else { return false }
            load(register, .field(name: "ct state", type: nil, loadedBytes: 4, mask: nil, xor: nil))
        case .bitwise(let bitwise):
            guard bitwise.source == bitwise.destination,
                  case .field(let name, let type, let loaded, nil, nil)? = registers[bitwise.source] else { return false }
            registers[bitwise.source] = .field(name: name, type: type, loadedBytes: loaded, mask: bitwise.mask, xor: bitwise.xor)
        case .compare(let comparison):
            guard let text = compareText(comparison) else { return false }
            consume(comparison.register)
            statements.append(text)
        case .metaSet(let key, let register):
            guard key == .mark, case .field("meta mark", _, _, let mask?, let xor?)? = registers[register] else { return false }
            consume(register)
            let maskValue = Self.host32(mask), xorValue = Self.host32(xor)
            if maskValue == ~xorValue {
                statements.append("meta mark set meta mark | \(NFTValue.hex32(xorValue))")
            } else if maskValue == UInt32.max {
                statements.append("meta mark set meta mark ^ \(NFTValue.hex32(xorValue))")
            } else {
                return false
            }
        case .immediate(let register, let data):
            switch data {
            case .verdict(let verdict):
                guard register == NFTRegister.verdict else { return false }
                statements.append(NFTSyntax.verdictText(verdict))
            case .value(let bytes):
                registers[register] = .value(bytes)
            }
        case .lookup(let lookup):
            guard let text = lookupText(lookup) else { return false }
            statements.append(text)
        case .numberGenerator(let generator):
            var text = "numgen \(generator.kind == .random ? "random" : "inc") mod \(generator.modulus)"
            if generator.offset != 0 { text += " offset \(generator.offset)" }
            load(generator.destination, .field(name: text, type: .integer, loadedBytes: 4, mask: nil, xor: nil))
        case .nat(let nat):
            guard let text = natText(nat) else { return false }
            statements.append(text)
        case .masquerade(let flags):
            var text = "masquerade"
            if flags & 0x4 != 0 { text += " random" }
            if flags & NFTNat.fullyRandom != 0 { text += " fully-random" }
            if flags & 0x8 != 0 { text += " persistent" }
            guard flags & ~(0x4 | 0x8 | NFTNat.fullyRandom) == 0 else { return false }
            statements.append(text)
        case .reject(let reject):
            guard let text = Self.rejectText(reject, family: family) else { return false }
            // nft adds `meta l4proto tcp` before a TCP reset by itself, and hides it again.
            if reject.kind == .tcpReset, let index = statements.firstIndex(of: "meta l4proto tcp") {
                statements.remove(at: index)
            }
            statements.append(text)
        case .dynamicSetUpdate(let update):
            guard let start = pending.firstIndex(of: update.source) else { return false }
            var parts: [String] = []
            for register in pending[start...] {
                guard case .field(let name, _, let loaded, nil, nil)? = registers[register], loaded == 4 || loaded == 16 else { return false }
                parts.append(name)
            }
            pending.removeSubrange(start...)
            let timeout = update.timeoutMilliseconds == 0 ? "" : " timeout \(update.timeoutMilliseconds)ms"
            statements.append("update @\(update.set) { \(parts.joined(separator: " . "))\(timeout) }")
        case .fib(let fib):
            guard fib.result == .addressType, fib.flags == NFTFib.sourceAddress || fib.flags == NFTFib.destinationAddress else {
                return false
            }
            load(fib.destination, .field(name: fib.flags == NFTFib.sourceAddress ? "fib saddr type" : "fib daddr type",
                                         type: nil, loadedBytes: 4, mask: nil, xor: nil))
        case .unrecognized:
            return false
        }
        return true
    }

    mutating func load(_ register: UInt32, _ content: Content) {
        registers[register] = content
        pending.removeAll { $0 == register }
        pending.append(register)
    }

    mutating func consume(_ register: UInt32) {
        pending.removeAll { $0 == register }
    }

    /// The fields nft names by header offset.
    static func field(_ payload: NFTPayload) -> (String, NFTDataType?, Int)? {
        switch (payload.base, payload.offset, payload.length) {
        case (.network, 12, 1...4): return ("ip saddr", .ipv4Address, 4)
        case (.network, 16, 1...4): return ("ip daddr", .ipv4Address, 4)
        // IPv6 header offsets: no IPv4 rule of podnet's loads from 8 or 24.
        case (.network, 8, 1...16): return ("ip6 saddr", .ipv6Address, 16)
        case (.network, 24, 1...16): return ("ip6 daddr", .ipv6Address, 16)
        case (.network, 9, 1): return ("ip protocol", .inetProto, 1)
        case (.transport, 0, 2): return ("th sport", .inetService, 2)
        // ICMPv6's type; compareText asks that `meta l4proto 58` came first.
        case (.transport, 0, 1): return ("icmpv6 type", nil, 1)
        case (.transport, 2, 2): return ("th dport", .inetService, 2)
        default: return nil
        }
    }

    func compareText(_ comparison: NFTComparison) -> String? {
        guard case .field(let name, let type, let loaded, let mask, let xor)? = registers[comparison.register] else { return nil }
        let op: String
        switch comparison.op {
        case .equal: op = ""
        case .notEqual: op = "!= "
        case .less: op = "< "
        case .lessOrEqual: op = "<= "
        case .greater: op = "> "
        case .greaterOrEqual: op = ">= "
        }
        if name == "ct state" {
            // ct state BITS: (state & bits) != 0.
            guard let mask, let xor, Self.host32(xor) == 0, comparison.op == .notEqual,
                  Self.host32(comparison.data) == 0, let names = Self.stateNames(Self.host32(mask)) else { return nil }
            return "ct state \(names)"
        }
        if name == "meta nfproto" {
            let families: [UInt8: String] = [NFTExpression.nfprotoIPv4: "ipv4", NFTExpression.nfprotoIPv6: "ipv6"]
            guard mask == nil, comparison.data.count == 1, let family = families[comparison.data[0]] else { return nil }
            return "\(name) \(op)\(family)"
        }
        if name == "icmpv6 type" {
            // nft's names for neighbour discovery's types, the only ones podnet matches.
            let names: [UInt8: String] = [133: "nd-router-solicit", 134: "nd-router-advert",
                                          135: "nd-neighbor-solicit", 136: "nd-neighbor-advert"]
            guard mask == nil, comparison.data.count == 1, statements.last == "meta l4proto \(NFTExpression.icmpv6Protocol)" else { return nil }
            return "\(name) \(op)\(names[comparison.data[0]] ?? String(comparison.data[0]))"
        }
        if name.hasPrefix("fib ") {
            // Address types by their nft names; podnet writes only `local`.
            guard mask == nil, comparison.op == .equal || comparison.op == .notEqual,
                  Self.host32(comparison.data) == NFTFib.local else { return nil }
            return "\(name) \(op)local"
        }
        guard let type else { return nil }
        if type == .ipv4Address {
            if loaded < 4 {
                // A prefix of whole bytes: nft loads only those.
                guard mask == nil, comparison.data.count == loaded else { return nil }
                let address = IPv4Address(bytes: comparison.data + [UInt8](repeating: 0, count: 4 - loaded))!
                return "\(name) \(op)\(address)/\(loaded * 8)"
            }
            guard let address = IPv4Address(bytes: comparison.data) else { return nil }
            if let mask {
                guard let xor, xor.allSatisfy({ $0 == 0 }), let length = Self.prefixLength(mask) else { return nil }
                return "\(name) \(op)\(address)/\(length)"
            }
            return "\(name) \(op)\(address)"
        }
        if type == .ipv6Address {
            let padded = comparison.data + [UInt8](repeating: 0, count: max(0, 16 - comparison.data.count))
            guard let address = IPv6Address(bytes: padded) else { return nil }
            if loaded < 16 {
                guard mask == nil, comparison.data.count == loaded else { return nil }
                return "\(name) \(op)\(address)/\(loaded * 8)"
            }
            if let mask {
                guard let xor, xor.allSatisfy({ $0 == 0 }), let length = Self.prefixLength(mask) else { return nil }
                return "\(name) \(op)\(address)/\(length)"
            }
            return "\(name) \(op)\(address)"
        }
        if type == .mark, let mask {
            guard let xor, xor.allSatisfy({ $0 == 0 }) else { return nil }
            return "\(name) & \(NFTValue.hex32(Self.host32(mask))) \(op.isEmpty ? "== " : op)\(NFTValue.hex32(Self.host32(comparison.data)))"
        }
        guard mask == nil, let value = NFTValue(type: type, bytes: comparison.data) else { return nil }
        return "\(name) \(op)\(value)"
    }

    mutating func lookupText(_ lookup: NFTLookup) -> String? {
        // The key: the pending loads from the source register on, in load order.
        guard let start = pending.firstIndex(of: lookup.source) else { return nil }
        let keyRegisters = Array(pending[start...])
        var parts: [String] = []
        for register in keyRegisters {
            guard case .field(let name, _, let loaded, nil, nil)? = registers[register],
                  loaded == 4 || loaded == 16 || name.hasPrefix("meta") || name.hasPrefix("th") || name.hasPrefix("numgen") else { return nil }
            parts.append(name)
        }
        pending.removeSubrange(start...)
        let key = parts.joined(separator: " . ")
        let setText: String
        switch lookup.set {
        case .named(let name): setText = "@\(name)"
        case .anonymous(let set): setText = NFTSyntax.elementsText(set.elements)
        }
        switch lookup.destination {
        case nil: return "\(key) \(lookup.inverted ? "!= " : "")\(setText)"
        case NFTRegister.verdict?: return lookup.inverted ? nil : "\(key) vmap \(setText)"
        default: return nil
        }
    }

    /// `dnat to 10.200.0.2:8080`, `dnat to [fd00:200::2]:8080` (nft's brackets keep the
    /// port apart from the address).
    func natText(_ nat: NFTNat) -> String? {
        guard nat.family == .ip || nat.family == .ip6, let addressRegister = nat.addressRegister,
              case .value(let addressBytes)? = registers[addressRegister],
              let address = IPAddress(bytes: addressBytes), NFTFamily(address.family) == nat.family else { return nil }
        var text = "\(nat.kind == .dnat ? "dnat" : "snat") to "
        if let portRegister = nat.portRegister {
            guard case .value(let portBytes)? = registers[portRegister], portBytes.count == 2 else { return nil }
            let port = UInt16(portBytes[0]) << 8 | UInt16(portBytes[1])
            text += address.family == .ipv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        } else {
            text += "\(address)"
        }
        return text
    }

    static func rejectText(_ reject: NFTReject, family: NFTFamily) -> String? {
        let icmpNames: [UInt8: String] = [0: "net-unreachable", 1: "host-unreachable", 2: "prot-unreachable",
                                          3: "port-unreachable", 9: "net-prohibited", 10: "host-prohibited",
                                          13: "admin-prohibited"]
        switch reject.kind {
        case .icmpUnreachable where family == .ip6:
            let names: [UInt8: String] = [0: "no-route", 1: "admin-prohibited", 3: "addr-unreachable", 4: "port-unreachable"]
            if reject.code == 4 { return "reject" }
            return names[reject.code].map { "reject with icmpv6 type \($0)" }
        case .icmpUnreachable:
            if reject.code == 3 { return "reject" }
            return icmpNames[reject.code].map { "reject with icmp type \($0)" }
        case .tcpReset:
            return "reject with tcp reset"
        case .icmpxUnreachable:
            let names: [UInt8: String] = [0: "no-route", 1: "port-unreachable", 2: "host-unreachable", 3: "admin-prohibited"]
            return names[reject.code].map { "reject with icmpx type \($0)" }
        }
    }

    static func stateNames(_ bits: UInt32) -> String? {
        let names: [(UInt32, String)] = [(1, "invalid"), (2, "established"), (4, "related"), (8, "new"), (64, "untracked")]
        let chosen = names.filter { bits & $0.0 != 0 }
        guard chosen.reduce(0, { $0 | $1.0 }) == bits, !chosen.isEmpty else { return nil }
        return chosen.map(\.1).joined(separator: ",")
    }

    /// The length of a prefix mask of either family, or nil when the mask's ones do not
    /// all come first.
    static func prefixLength(_ mask: [UInt8]) -> Int? {
        guard mask.count == 4 || mask.count == 16 else { return nil }
        let length = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        for (index, byte) in mask.enumerated() {
            let bits = min(8, max(0, length - index * 8))
            guard byte == (bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))) else { return nil }
        }
        return length
    }

    static func host32(_ bytes: [UInt8]) -> UInt32 {
        guard bytes.count == 4 else { return 0 }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }
}
