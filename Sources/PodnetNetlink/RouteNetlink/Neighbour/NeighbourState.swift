import CMNL

/// ndm_state: the NUD_* state of a neighbour or FDB entry.
public struct NeighbourState: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let incomplete = NeighbourState(rawValue: UInt16(NUD_INCOMPLETE))
    public static let reachable = NeighbourState(rawValue: UInt16(NUD_REACHABLE))
    public static let stale = NeighbourState(rawValue: UInt16(NUD_STALE))
    public static let delay = NeighbourState(rawValue: UInt16(NUD_DELAY))
    public static let probe = NeighbourState(rawValue: UInt16(NUD_PROBE))
    public static let failed = NeighbourState(rawValue: UInt16(NUD_FAILED))
    public static let noARP = NeighbourState(rawValue: UInt16(NUD_NOARP))
    /// Static: never expires, never probed. podnet's entries are all permanent.
    public static let permanent = NeighbourState(rawValue: UInt16(NUD_PERMANENT))
}

/// ndm_flags: NTF_*.
public struct NeighbourFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let use = NeighbourFlags(rawValue: UInt8(NTF_USE))
    /// The entry belongs to the device itself (a vxlan device's remote table), not to
    /// the bridge it is a port of.
    public static let `self` = NeighbourFlags(rawValue: UInt8(NTF_SELF))
    /// The entry belongs to the master bridge's table.
    public static let master = NeighbourFlags(rawValue: UInt8(NTF_MASTER))
    public static let proxy = NeighbourFlags(rawValue: UInt8(NTF_PROXY))
    public static let externallyLearned = NeighbourFlags(rawValue: UInt8(NTF_EXT_LEARNED))
    public static let router = NeighbourFlags(rawValue: UInt8(NTF_ROUTER))
}
