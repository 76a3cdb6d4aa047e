import CMNL

/// What a link dump says about a link enslaved to a bridge (IFLA_LINKINFO's
/// IFLA_INFO_SLAVE_KIND "bridge" and IFLA_INFO_SLAVE_DATA with IFLA_BRPORT_*).
public struct BridgePortInfo: Sendable, Equatable {
    /// Hairpin mode: frames may leave by the port they came in on (IFLA_BRPORT_MODE).
    /// A pod that reaches itself through a service address needs it.
    public var hairpin: Bool?
    /// STP port state (IFLA_BRPORT_STATE): 3 forwarding when STP is off.
    public var state: UInt8?
    /// Learn source MACs on this port (IFLA_BRPORT_LEARNING).
    public var learning: Bool?

    public init(hairpin: Bool? = nil, state: UInt8? = nil, learning: Bool? = nil) {
        self.hairpin = hairpin
        self.state = state
        self.learning = learning
    }

    init(decoding data: NetlinkAttributes) throws(NetlinkParseError) {
        hairpin = try data[IFLA_BRPORT_MODE]?.u8().isNonZero
        state = try data[IFLA_BRPORT_STATE]?.u8()
        learning = try data[IFLA_BRPORT_LEARNING]?.u8().isNonZero
    }
}

/// The port role of a link in its master (IFLA_INFO_SLAVE_KIND/DATA).
public enum LinkPortInfo: Sendable, Equatable {
    case bridge(BridgePortInfo)
    /// A port of another kind of master (bond, vrf…), by kind.
    case other(kind: String)
}
