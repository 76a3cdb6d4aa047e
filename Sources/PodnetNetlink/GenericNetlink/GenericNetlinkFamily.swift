import CMNL

/// A generic netlink family as the controller (`nlctrl`) describes it: its
/// messages use `id` as their nlmsg_type. Ids are given out when a family
/// registers (a module loads), so they are looked up by name, never assumed.
public struct GenericNetlinkFamily: Sendable, Equatable {
    public var name: String
    public var id: UInt16
    public var version: UInt32
    /// Size of the family's own header after genlmsghdr (0 for IPVS).
    public var headerSize: UInt32
    public var maximumAttribute: UInt32

    public init(name: String, id: UInt16, version: UInt32 = 1, headerSize: UInt32 = 0, maximumAttribute: UInt32 = 0) {
        self.name = name
        self.id = id
        self.version = version
        self.headerSize = headerSize
        self.maximumAttribute = maximumAttribute
    }

    /// Decodes the controller's CTRL_CMD_NEWFAMILY reply.
    public init(decoding message: NetlinkMessage) throws(NetlinkParseError) {
        let attributes = try message.attributes(afterHeaderOfSize: GenericNetlinkHeader.size)
        guard let id = attributes[CTRL_ATTR_FAMILY_ID] else {
            throw .truncated(what: "CTRL_ATTR_FAMILY_ID of a family reply", needed: 2, available: 0)
        }
        self.id = try id.u16()
        name = attributes[CTRL_ATTR_FAMILY_NAME]?.string() ?? ""
        version = try attributes[CTRL_ATTR_VERSION]?.u32() ?? 0
        headerSize = try attributes[CTRL_ATTR_HDRSIZE]?.u32() ?? 0
        maximumAttribute = try attributes[CTRL_ATTR_MAXATTR]?.u32() ?? 0
    }
}

extension NetlinkRequest {
    /// The controller's interface version podnet speaks (libnl sends the same).
    static let controllerVersion: UInt8 = 1

    /// CTRL_CMD_GETFAMILY by name (`genl ctrl get name IPVS`): the kernel answers
    /// with the family's id, or ENOENT when no such family is registered, after
    /// trying to load the module that declares it (`net-pf-16-proto-16-family-NAME`).
    public static func getGenericFamily(named name: String) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(GENL_ID_CTRL), summary: "CTRL_CMD_GETFAMILY \(name)") {
            GenericNetlinkHeader(command: UInt8(CTRL_CMD_GETFAMILY), version: controllerVersion).write(to: &$0)
            $0.put(CTRL_ATTR_FAMILY_NAME, string: name)
        }
    }
}
