/// The attributes of a message or a nest, in wire order, with lookup by type.
public struct NetlinkAttributes: Sendable, Equatable {
    /// The bytes the attributes lie in.
    private let bytes: ArraySlice<UInt8>
    /// Each attribute's type, nest flag and payload bounds (indices into `bytes`), in
    /// wire order. Plain values: splitting a link message into its fifty-odd
    /// attributes then retains its buffer once, not once per attribute, which a read
    /// of hundreds of namespaces felt.
    private let entries: [Entry]

    private struct Entry: Sendable {
        let type: UInt16
        let isFlaggedNested: Bool
        let payload: Range<Int>
    }

    /// Every attribute, in wire order.
    public var all: [NetlinkAttribute] { entries.map(attribute) }

    public init(_ attributes: [NetlinkAttribute]) {
        var bytes: [UInt8] = []
        var entries: [Entry] = []
        for attribute in attributes {
            let start = bytes.count
            bytes.append(contentsOf: attribute.payload)
            entries.append(Entry(type: attribute.type, isFlaggedNested: attribute.isFlaggedNested, payload: start..<bytes.count))
        }
        self.bytes = bytes[...]
        self.entries = entries
    }

    /// Splits `bytes` into attributes, checking every nla_len against the data.
    public init(parsing bytes: ArraySlice<UInt8>) throws(NetlinkParseError) {
        var entries: [Entry] = []
        // About one attribute per 16 bytes (a link message: ~70 in 1,100): grown
        // from empty, the array was reallocated five times per message. Capped: a
        // 32 KiB list of set elements is a few attributes holding nests.
        entries.reserveCapacity(min(bytes.count / 16 + 2, 96))
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
            entries.append(Entry(type: type, isFlaggedNested: rawType & NetlinkAttribute.nestedFlag != 0,
                                 payload: (offset + NetlinkAlignment.attributeHeaderSize)..<(offset + Int(length))))
            // The last attribute's padding may be missing; never step past the end.
            offset = min(offset + NetlinkAlignment.aligned(Int(length)), bytes.endIndex)
        }
        self.bytes = bytes
        self.entries = entries
    }

    private func attribute(_ entry: Entry) -> NetlinkAttribute {
        NetlinkAttribute(type: entry.type, isFlaggedNested: entry.isFlaggedNested, payload: bytes[entry.payload])
    }

    /// The first attribute of `type`.
    public subscript(_ type: some BinaryInteger) -> NetlinkAttribute? {
        let wanted = UInt16(type)
        return entries.first { $0.type == wanted }.map(attribute)
    }

    /// Every attribute of `type`, for attributes that repeat (IFLA_ALT_IFNAME).
    public func every(_ type: some BinaryInteger) -> [NetlinkAttribute] {
        let wanted = UInt16(type)
        return entries.filter { $0.type == wanted }.map(attribute)
    }

    /// Equal when they hold the same attributes, wherever their bytes lie.
    public static func == (lhs: NetlinkAttributes, rhs: NetlinkAttributes) -> Bool { lhs.all == rhs.all }
}
