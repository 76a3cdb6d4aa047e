/// Reads fixed-layout fields (family headers such as ifinfomsg, the nlmsgerr of an
/// ACK) from the front of a byte slice, in host byte order, checking every length.
public struct NetlinkReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    /// Absolute index into `bytes` of the next field.
    public private(set) var position: Int
    /// What is being read, for error messages ("ifinfomsg").
    let what: String

    public init(_ bytes: ArraySlice<UInt8>, what: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.what = what
    }

    public var remaining: ArraySlice<UInt8> { bytes[position...] }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(NetlinkParseError) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.endIndex - position >= size else {
            throw .truncated(what: what, needed: position - bytes.startIndex + size, available: bytes.count)
        }
        let value = bytes[position..<position + size].withUnsafeBytes { $0.loadUnaligned(as: T.self) }
        position += size
        return value
    }

    public mutating func skip(_ count: Int) throws(NetlinkParseError) {
        guard bytes.endIndex - position >= count else {
            throw .truncated(what: what, needed: position - bytes.startIndex + count, available: bytes.count)
        }
        position += count
    }
}
