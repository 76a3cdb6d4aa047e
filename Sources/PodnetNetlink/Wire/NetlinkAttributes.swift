/// The attributes of a message or a nest, in wire order, with lookup by type.
public struct NetlinkAttributes: Sendable, Equatable {
    public let all: [NetlinkAttribute]

    public init(_ attributes: [NetlinkAttribute]) {
        all = attributes
    }

    /// Splits `bytes` into attributes, checking every nla_len against the data.
    public init(parsing bytes: ArraySlice<UInt8>) throws(NetlinkParseError) {
        var attributes: [NetlinkAttribute] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let available = bytes.endIndex - offset
            guard available >= NetlinkAlignment.attributeHeaderSize else {
                throw .truncated(what: "attribute header", needed: NetlinkAlignment.attributeHeaderSize, available: available)
            }
            let (length, rawType) = bytes[offset..<offset + 4].withUnsafeBytes {
                ($0.loadUnaligned(as: UInt16.self), $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            }
            let type = rawType & ~(NetlinkAttribute.nestedFlag | NetlinkAttribute.byteOrderFlag)
            guard Int(length) >= NetlinkAlignment.attributeHeaderSize else {
                throw .invalidLength(what: "attribute \(type)", length: Int(length))
            }
            guard Int(length) <= available else {
                throw .truncated(what: "attribute \(type)", needed: Int(length), available: available)
            }
            let payload = bytes[(offset + NetlinkAlignment.attributeHeaderSize)..<(offset + Int(length))]
            attributes.append(NetlinkAttribute(
                type: type, isFlaggedNested: rawType & NetlinkAttribute.nestedFlag != 0, payload: payload))
            // The last attribute's padding may be missing; never step past the end.
            offset = min(offset + NetlinkAlignment.aligned(Int(length)), bytes.endIndex)
        }
        all = attributes
    }

    /// The first attribute of `type`.
    public subscript(_ type: some BinaryInteger) -> NetlinkAttribute? {
        let wanted = UInt16(type)
        return all.first { $0.type == wanted }
    }

    /// Every attribute of `type`, for attributes that repeat (IFLA_ALT_IFNAME).
    public func every(_ type: some BinaryInteger) -> [NetlinkAttribute] {
        let wanted = UInt16(type)
        return all.filter { $0.type == wanted }
    }
}
