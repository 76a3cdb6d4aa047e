import CMNL
import PodnetKernelModel

/// Rule expressions to and from NFTA_EXPR_NAME / NFTA_EXPR_DATA, with attributes in
/// the order nft writes them. Anonymous sets are not written here: a lookup names
/// its set, and the caller (`NFTablesBatch`) creates anonymous sets before the rule
/// and says what name and id each lookup uses.
enum NFTExpressionCodec {
    /// The set a lookup's NFTA_LOOKUP_SET and NFTA_LOOKUP_SET_ID name.
    struct SetBinding {
        var name: String
        var id: UInt32?
    }

    static func write(_ expression: NFTExpression, anonymousSet: SetBinding? = nil, to writer: inout NetlinkWriter) {
        writer.nftNest(NFTA_LIST_ELEM.rawValue) { element in
            element.put(NFTA_EXPR_NAME.rawValue, string: name(of: expression))
            element.nftNest(NFTA_EXPR_DATA.rawValue) { data in
                writeData(expression, anonymousSet: anonymousSet, to: &data)
            }
        }
    }

    static func name(of expression: NFTExpression) -> String {
        switch expression {
        case .payload: return "payload"
        case .metaLoad, .metaSet: return "meta"
        case .conntrackLoad: return "ct"
        case .compare: return "cmp"
        case .bitwise: return "bitwise"
        case .immediate: return "immediate"
        case .lookup: return "lookup"
        case .numberGenerator: return "numgen"
        case .nat: return "nat"
        case .masquerade: return "masq"
        case .reject: return "reject"
        case .dynamicSetUpdate: return "dynset"
        case .fib: return "fib"
        case .unrecognized(let name, _): return name
        }
    }

    private static func writeData(_ expression: NFTExpression, anonymousSet: SetBinding?, to w: inout NetlinkWriter) {
        switch expression {
        case .payload(let payload):
            w.put(NFTA_PAYLOAD_DREG.rawValue, u32BigEndian: payload.destination)
            w.put(NFTA_PAYLOAD_BASE.rawValue, u32BigEndian: payload.base.rawValue)
            w.put(NFTA_PAYLOAD_OFFSET.rawValue, u32BigEndian: payload.offset)
            w.put(NFTA_PAYLOAD_LEN.rawValue, u32BigEndian: payload.length)
        case .metaLoad(let key, let register):
            w.put(NFTA_META_KEY.rawValue, u32BigEndian: key.rawValue)
            w.put(NFTA_META_DREG.rawValue, u32BigEndian: register)
        case .metaSet(let key, let register):
            w.put(NFTA_META_KEY.rawValue, u32BigEndian: key.rawValue)
            w.put(NFTA_META_SREG.rawValue, u32BigEndian: register)
        case .conntrackLoad(let key, let register):
            w.put(NFTA_CT_KEY.rawValue, u32BigEndian: key.rawValue)
            w.put(NFTA_CT_DREG.rawValue, u32BigEndian: register)
        case .compare(let comparison):
            w.put(NFTA_CMP_SREG.rawValue, u32BigEndian: comparison.register)
            w.put(NFTA_CMP_OP.rawValue, u32BigEndian: comparison.op.rawValue)
            writeValue(NFTA_CMP_DATA.rawValue, comparison.data, to: &w)
        case .bitwise(let bitwise):
            w.put(NFTA_BITWISE_SREG.rawValue, u32BigEndian: bitwise.source)
            w.put(NFTA_BITWISE_DREG.rawValue, u32BigEndian: bitwise.destination)
            w.put(NFTA_BITWISE_OP.rawValue, u32BigEndian: NFT_BITWISE_MASK_XOR.rawValue)
            w.put(NFTA_BITWISE_LEN.rawValue, u32BigEndian: UInt32(bitwise.mask.count))
            writeValue(NFTA_BITWISE_MASK.rawValue, bitwise.mask, to: &w)
            writeValue(NFTA_BITWISE_XOR.rawValue, bitwise.xor, to: &w)
        case .immediate(let register, let data):
            w.put(NFTA_IMMEDIATE_DREG.rawValue, u32BigEndian: register)
            writeData(NFTA_IMMEDIATE_DATA.rawValue, data, to: &w)
        case .lookup(let lookup):
            w.put(NFTA_LOOKUP_SREG.rawValue, u32BigEndian: lookup.source)
            if let destination = lookup.destination { w.put(NFTA_LOOKUP_DREG.rawValue, u32BigEndian: destination) }
            switch lookup.set {
            case .named(let name):
                w.put(NFTA_LOOKUP_SET.rawValue, string: name)
            case .anonymous:
                let binding = anonymousSet ?? SetBinding(name: "__set%d", id: nil)
                w.put(NFTA_LOOKUP_SET.rawValue, string: binding.name)
                if let id = binding.id { w.put(NFTA_LOOKUP_SET_ID.rawValue, u32BigEndian: id) }
            }
            if lookup.inverted { w.put(NFTA_LOOKUP_FLAGS.rawValue, u32BigEndian: NFT_LOOKUP_F_INV.rawValue) }
        case .numberGenerator(let generator):
            w.put(NFTA_NG_DREG.rawValue, u32BigEndian: generator.destination)
            w.put(NFTA_NG_MODULUS.rawValue, u32BigEndian: generator.modulus)
            w.put(NFTA_NG_TYPE.rawValue, u32BigEndian: generator.kind.rawValue)
            w.put(NFTA_NG_OFFSET.rawValue, u32BigEndian: generator.offset)
        case .nat(let nat):
            w.put(NFTA_NAT_TYPE.rawValue, u32BigEndian: nat.kind.rawValue)
            w.put(NFTA_NAT_FAMILY.rawValue, u32BigEndian: UInt32(nat.family.rawValue))
            if let register = nat.addressRegister { w.put(NFTA_NAT_REG_ADDR_MIN.rawValue, u32BigEndian: register) }
            if let register = nat.portRegister { w.put(NFTA_NAT_REG_PROTO_MIN.rawValue, u32BigEndian: register) }
            if nat.flags != 0 { w.put(NFTA_NAT_FLAGS.rawValue, u32BigEndian: nat.flags) }
        case .masquerade(let flags):
            if flags != 0 { w.put(NFTA_MASQ_FLAGS.rawValue, u32BigEndian: flags) }
        case .reject(let reject):
            w.put(NFTA_REJECT_TYPE.rawValue, u32BigEndian: reject.kind.rawValue)
            w.put(NFTA_REJECT_ICMP_CODE.rawValue, u8: reject.code)
        case .dynamicSetUpdate(let update):
            // As nft writes `update @set { ip saddr }`; no NFTA_DYNSET_TIMEOUT when the
            // set's own applies (the kernel reports 0 then).
            w.put(NFTA_DYNSET_SET_NAME.rawValue, string: update.set)
            w.put(NFTA_DYNSET_OP.rawValue, u32BigEndian: NFT_DYNSET_OP_UPDATE.rawValue)
            w.put(NFTA_DYNSET_SREG_KEY.rawValue, u32BigEndian: update.source)
            if update.timeoutMilliseconds != 0 { w.put(NFTA_DYNSET_TIMEOUT.rawValue, u64BigEndian: update.timeoutMilliseconds) }
        case .fib(let fib):
            w.put(NFTA_FIB_DREG.rawValue, u32BigEndian: fib.destination)
            w.put(NFTA_FIB_RESULT.rawValue, u32BigEndian: fib.result.rawValue)
            w.put(NFTA_FIB_FLAGS.rawValue, u32BigEndian: fib.flags)
        case .unrecognized(_, let data):
            w.append(contentsOf: data)
        }
    }

    /// NFTA_DATA_VALUE inside a nest.
    static func writeValue(_ type: UInt32, _ bytes: [UInt8], to w: inout NetlinkWriter) {
        w.nftNest(type) { $0.put(NFTA_DATA_VALUE.rawValue, bytes: bytes) }
    }

    /// NFTA_DATA_VALUE or NFTA_DATA_VERDICT inside a nest.
    static func writeData(_ type: UInt32, _ data: NFTData, to w: inout NetlinkWriter) {
        switch data {
        case .value(let bytes):
            writeValue(type, bytes, to: &w)
        case .verdict(let verdict):
            w.nftNest(type) { nest in
                nest.nftNest(NFTA_DATA_VERDICT.rawValue) { v in
                    v.put(NFTA_VERDICT_CODE.rawValue, i32BigEndian: verdict.code)
                    if let chain = verdict.chain { v.put(NFTA_VERDICT_CHAIN.rawValue, string: chain) }
                }
            }
        }
    }

    // MARK: Reading

    /// One NFTA_LIST_ELEM of a rule's expressions. A lookup into an anonymous set is
    /// returned with the set's kernel name (`__map0`) as a named reference; the rule
    /// reader replaces it with the set itself.
    static func read(_ element: NetlinkAttribute) throws(NetlinkParseError) -> NFTExpression {
        let attributes = try element.nested()
        guard let name = attributes[NFTA_EXPR_NAME.rawValue]?.string() else {
            throw .truncated(what: "expression without a name", needed: 1, available: 0)
        }
        let dataAttribute = attributes[NFTA_EXPR_DATA.rawValue]
        let data = try dataAttribute?.nested() ?? NetlinkAttributes([])
        func u32(_ type: UInt32) throws(NetlinkParseError) -> UInt32? { try data[type]?.u32BigEndian() }
        func required(_ type: UInt32) throws(NetlinkParseError) -> UInt32 {
            guard let value = try u32(type) else {
                throw .truncated(what: "\(name) expression attribute \(type)", needed: 4, available: 0)
            }
            return value
        }
        let unrecognized = NFTExpression.unrecognized(name: name, data: dataAttribute?.bytes ?? [])

        switch name {
        case "payload":
            // Checksum updates and writes (payload set) are not modelled.
            guard data[NFTA_PAYLOAD_SREG.rawValue] == nil, data[NFTA_PAYLOAD_CSUM_TYPE.rawValue].map({ (try? $0.u32BigEndian()) == 0 }) ?? true,
                  let base = NFTPayload.Base(rawValue: try required(NFTA_PAYLOAD_BASE.rawValue)) else { return unrecognized }
            return .payload(NFTPayload(base: base, offset: try required(NFTA_PAYLOAD_OFFSET.rawValue),
                                       length: try required(NFTA_PAYLOAD_LEN.rawValue),
                                       into: try required(NFTA_PAYLOAD_DREG.rawValue)))
        case "meta":
            let key = NFTMetaKey(rawValue: try required(NFTA_META_KEY.rawValue))
            if let register = try u32(NFTA_META_DREG.rawValue) { return .metaLoad(key, into: register) }
            if let register = try u32(NFTA_META_SREG.rawValue) { return .metaSet(key, from: register) }
            return unrecognized
        case "ct":
            guard data[NFTA_CT_DIRECTION.rawValue] == nil, let register = try u32(NFTA_CT_DREG.rawValue) else { return unrecognized }
            return .conntrackLoad(NFTConntrackKey(rawValue: try required(NFTA_CT_KEY.rawValue)), into: register)
        case "cmp":
            guard let op = NFTComparison.Operator(rawValue: try required(NFTA_CMP_OP.rawValue)),
                  case .value(let bytes)? = try readData(data[NFTA_CMP_DATA.rawValue]) else { return unrecognized }
            return .compare(NFTComparison(register: try required(NFTA_CMP_SREG.rawValue), op, bytes))
        case "bitwise":
            guard (try u32(NFTA_BITWISE_OP.rawValue) ?? NFT_BITWISE_MASK_XOR.rawValue) == NFT_BITWISE_MASK_XOR.rawValue,
                  case .value(let mask)? = try readData(data[NFTA_BITWISE_MASK.rawValue]),
                  case .value(let xor)? = try readData(data[NFTA_BITWISE_XOR.rawValue]), mask.count == xor.count else {
                return unrecognized
            }
            return .bitwise(NFTBitwise(source: try required(NFTA_BITWISE_SREG.rawValue),
                                       destination: try required(NFTA_BITWISE_DREG.rawValue), mask: mask, xor: xor))
        case "immediate":
            guard let value = try readData(data[NFTA_IMMEDIATE_DATA.rawValue]) else { return unrecognized }
            return .immediate(register: try required(NFTA_IMMEDIATE_DREG.rawValue), data: value)
        case "lookup":
            guard let set = data[NFTA_LOOKUP_SET.rawValue]?.string() else { return unrecognized }
            let flags = try u32(NFTA_LOOKUP_FLAGS.rawValue) ?? 0
            return .lookup(NFTLookup(source: try required(NFTA_LOOKUP_SREG.rawValue), set: .named(set),
                                     destination: try u32(NFTA_LOOKUP_DREG.rawValue),
                                     inverted: flags & NFT_LOOKUP_F_INV.rawValue != 0))
        case "numgen":
            guard let kind = NFTNumberGenerator.Kind(rawValue: try required(NFTA_NG_TYPE.rawValue)) else { return unrecognized }
            return .numberGenerator(NFTNumberGenerator(into: try required(NFTA_NG_DREG.rawValue),
                                                       modulus: try required(NFTA_NG_MODULUS.rawValue), kind: kind,
                                                       offset: try u32(NFTA_NG_OFFSET.rawValue) ?? 0))
        case "nat":
            guard let kind = NFTNat.Kind(rawValue: try required(NFTA_NAT_TYPE.rawValue)),
                  let family = NFTFamily(rawValue: UInt8(truncatingIfNeeded: try required(NFTA_NAT_FAMILY.rawValue))) else {
                return unrecognized
            }
            let addressMin = try u32(NFTA_NAT_REG_ADDR_MIN.rawValue), addressMax = try u32(NFTA_NAT_REG_ADDR_MAX.rawValue)
            let portMin = try u32(NFTA_NAT_REG_PROTO_MIN.rawValue), portMax = try u32(NFTA_NAT_REG_PROTO_MAX.rawValue)
            // The kernel reports a range's maximum equal to its minimum when only one
            // register was given, and adds MAP_IPS for an address register itself.
            guard addressMax == nil || addressMax == addressMin, portMax == nil || portMax == portMin else { return unrecognized }
            var flags = try u32(NFTA_NAT_FLAGS.rawValue) ?? 0
            if addressMin != nil { flags &= ~NFTNat.mapIPs }
            return .nat(NFTNat(kind: kind, family: family, addressRegister: addressMin, portRegister: portMin, flags: flags))
        case "masq":
            guard data[NFTA_MASQ_REG_PROTO_MIN.rawValue] == nil else { return unrecognized }
            return .masquerade(flags: try u32(NFTA_MASQ_FLAGS.rawValue) ?? 0)
        case "reject":
            guard let kind = NFTReject.Kind(rawValue: try required(NFTA_REJECT_TYPE.rawValue)) else { return unrecognized }
            return .reject(NFTReject(kind: kind, code: try data[NFTA_REJECT_ICMP_CODE.rawValue]?.u8() ?? 0))
        case "dynset":
            // Only `update` of a set, with no per-element expressions and no data.
            guard try u32(NFTA_DYNSET_OP.rawValue) == NFT_DYNSET_OP_UPDATE.rawValue, (try u32(NFTA_DYNSET_FLAGS.rawValue) ?? 0) == 0,
                  data[NFTA_DYNSET_SREG_DATA.rawValue] == nil, data[NFTA_DYNSET_EXPR.rawValue] == nil,
                  data[NFTA_DYNSET_EXPRESSIONS.rawValue] == nil,
                  let set = data[NFTA_DYNSET_SET_NAME.rawValue]?.string() else { return unrecognized }
            return .dynamicSetUpdate(NFTDynamicSetUpdate(source: try required(NFTA_DYNSET_SREG_KEY.rawValue), set: set,
                                                         timeoutMilliseconds: try data[NFTA_DYNSET_TIMEOUT.rawValue]?.u64BigEndian() ?? 0))
        case "fib":
            guard let result = NFTFib.Result(rawValue: try required(NFTA_FIB_RESULT.rawValue)) else { return unrecognized }
            return .fib(NFTFib(into: try required(NFTA_FIB_DREG.rawValue), result: result,
                               flags: try required(NFTA_FIB_FLAGS.rawValue)))
        default:
            return unrecognized
        }
    }

    /// The content of an NFTA_DATA nest: a value or a verdict.
    static func readData(_ attribute: NetlinkAttribute?) throws(NetlinkParseError) -> NFTData? {
        guard let attribute else { return nil }
        let nest = try attribute.nested()
        if let value = nest[NFTA_DATA_VALUE.rawValue] { return .value(value.bytes) }
        guard let verdict = try nest[NFTA_DATA_VERDICT.rawValue]?.nested(),
              let code = try verdict[NFTA_VERDICT_CODE.rawValue]?.i32BigEndian() else { return nil }
        return NFTVerdict(code: code, chain: verdict[NFTA_VERDICT_CHAIN.rawValue]?.string()).map { .verdict($0) }
    }
}
