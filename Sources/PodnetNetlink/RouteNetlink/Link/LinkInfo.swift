import CMNL

/// IFLA_LINKINFO: the kind of a link and its kind-specific data.
public indirect enum LinkInfo: Sendable, Equatable {
    /// A veth pair. `peer` describes the other end when creating (its name, MTU, MAC
    /// and the namespace it is born in); a dump does not report it (use IFLA_LINK and
    /// IFLA_LINK_NETNSID of the link instead).
    ///
    /// The peer cannot be born up: the kernel configures it before the two ends know
    /// each other, and opening a veth without its peer fails (ENOTCONN). Bring it up
    /// with a `setLink` through a socket in the peer's namespace. Its alias, like any
    /// alias at creation, is ignored.
    case veth(peer: LinkMessage?)
    case bridge
    case vxlan(VXLANInfo)
    case ipip(IPIPInfo)
    /// IPv6 in IPv4 (6in4, protocol 41): the same IFLA_IPTUN_* attributes as ipip.
    case sit(IPIPInfo)
    case dummy
    /// Any other kind, by name; its data is not decoded.
    case other(kind: String)

    /// IFLA_INFO_KIND.
    public var kind: String {
        switch self {
        case .veth: return "veth"
        case .bridge: return "bridge"
        case .vxlan: return "vxlan"
        case .ipip: return "ipip"
        case .sit: return "sit"
        case .dummy: return "dummy"
        case let .other(kind): return kind
        }
    }

    func write(to writer: inout NetlinkWriter) {
        // Unterminated, as iproute2 and the kernel's own notifications write it.
        writer.put(IFLA_INFO_KIND, unterminatedString: kind)
        switch self {
        case let .veth(peer?):
            writer.nest(IFLA_INFO_DATA) { data in
                // VETH_INFO_PEER holds a whole ifinfomsg with its attributes.
                data.nest(VETH_INFO_PEER) { peer.write(to: &$0) }
            }
        case let .vxlan(info):
            writer.nest(IFLA_INFO_DATA) { info.write(to: &$0) }
        case let .ipip(info), let .sit(info):
            writer.nest(IFLA_INFO_DATA) { info.write(to: &$0) }
        case .veth(nil), .bridge, .dummy, .other:
            break
        }
    }

    /// Decodes IFLA_LINKINFO: the link's own kind and, for a port, its role in its
    /// master (IFLA_INFO_SLAVE_KIND/DATA).
    static func decode(_ linkInfo: NetlinkAttributes) throws(NetlinkParseError) -> (LinkInfo?, LinkPortInfo?) {
        var info: LinkInfo?
        if let kind = linkInfo[IFLA_INFO_KIND]?.string() {
            let data = try linkInfo[IFLA_INFO_DATA]?.nested()
            switch kind {
            case "veth": info = .veth(peer: nil)
            case "bridge": info = .bridge
            case "dummy": info = .dummy
            case "vxlan": info = .vxlan(try VXLANInfo(decoding: data ?? NetlinkAttributes([])))
            case "ipip": info = .ipip(try IPIPInfo(decoding: data ?? NetlinkAttributes([])))
            case "sit": info = .sit(try IPIPInfo(decoding: data ?? NetlinkAttributes([])))
            default: info = .other(kind: kind)
            }
        }
        var port: LinkPortInfo?
        if let portKind = linkInfo[IFLA_INFO_SLAVE_KIND]?.string() {
            if portKind == "bridge" {
                let data = try linkInfo[IFLA_INFO_SLAVE_DATA]?.nested() ?? NetlinkAttributes([])
                port = .bridge(try BridgePortInfo(decoding: data))
            } else {
                port = .other(kind: portKind)
            }
        }
        return (info, port)
    }
}
