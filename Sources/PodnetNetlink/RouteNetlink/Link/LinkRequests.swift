import CMNL

/// rtnetlink link requests, named after iproute2's words.
extension NetlinkRequest {
    /// `ip link add`: RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL. Set `namespaceFD`
    /// to create the link in another namespace, and a veth's peer `namespaceFD` to
    /// have the peer born there. The alias is not applied by the kernel here.
    public static func addLink(_ link: LinkMessage, mode: CreationMode = .exclusive) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_NEWLINK), flags: mode.flags,
                       summary: "RTM_NEWLINK \(link.subject)", createdLinkKind: link.info?.kind) {
            link.write(to: &$0)
        }
    }

    /// `ip link set`: RTM_SETLINK on the link with `link.index` (or, if the index is
    /// 0, the one named `link.name`), changing what is set in `link`: name (with an
    /// index), MTU, MAC, master (0 detaches), alias, up/down through `setUp`.
    public static func setLink(_ link: LinkMessage) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_SETLINK), summary: "RTM_SETLINK \(link.subject)") {
            link.write(to: &$0)
        }
    }

    /// `ip link del`: RTM_DELLINK by index. Deleting either end of a veth deletes both.
    public static func deleteLink(index: Int32) -> NetlinkRequest {
        deleteLink(LinkMessage(index: index))
    }

    /// `ip link del NAME`: RTM_DELLINK by name.
    public static func deleteLink(name: String) -> NetlinkRequest {
        deleteLink(LinkMessage(name: name))
    }

    private static func deleteLink(_ link: LinkMessage) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_DELLINK), summary: "RTM_DELLINK \(link.subject)") { link.write(to: &$0) }
    }

    /// `ip link show NAME`: RTM_GETLINK for one link, by name or alternative name.
    /// `execute` returns the RTM_NEWLINK the kernel answers with.
    public static func getLink(name: String) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETLINK), summary: "RTM_GETLINK \(name)") {
            LinkMessage().write(to: &$0)
            $0.put(IFLA_EXT_MASK, u32: UInt32(RTEXT_FILTER_SKIP_STATS))
            // IFLA_IFNAME holds at most IFNAMSIZ - 1 bytes (longer is ERANGE); only an
            // alternative name can be longer, and IFLA_ALT_IFNAME finds those (and
            // short ones too, but iproute2 sends IFLA_IFNAME for those, and so do we).
            $0.put(name.utf8.count < Self.interfaceNameSize ? IFLA_IFNAME : IFLA_ALT_IFNAME, string: name)
        }
    }

    /// IFNAMSIZ: an interface name and its NUL.
    static let interfaceNameSize = 16

    /// `ip link show`: RTM_GETLINK dump of every link of the namespace.
    /// RTEXT_FILTER_SKIP_STATS spares the per-link IPv6 and VF statistics podnet never
    /// reads (this kernel still sends IFLA_STATS64).
    public static func dumpLinks() -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETLINK), summary: "RTM_GETLINK dump") {
            LinkMessage().write(to: &$0)
            $0.put(IFLA_EXT_MASK, u32: UInt32(RTEXT_FILTER_SKIP_STATS))
        }
    }

    /// `ip link property add dev X altname NAME`: RTM_NEWLINKPROP.
    public static func addAlternativeName(_ name: String, toLink index: Int32) -> NetlinkRequest {
        alternativeName(name, link: index, type: UInt16(RTM_NEWLINKPROP), flags: UInt16(NLM_F_CREATE | NLM_F_EXCL))
    }

    /// `ip link property del dev X altname NAME`: RTM_DELLINKPROP.
    public static func deleteAlternativeName(_ name: String, fromLink index: Int32) -> NetlinkRequest {
        alternativeName(name, link: index, type: UInt16(RTM_DELLINKPROP), flags: 0)
    }

    private static func alternativeName(_ name: String, link index: Int32, type: UInt16, flags: UInt16) -> NetlinkRequest {
        let verb = type == UInt16(RTM_NEWLINKPROP) ? "RTM_NEWLINKPROP" : "RTM_DELLINKPROP"
        return NetlinkRequest(type: type, flags: flags, summary: "\(verb) index \(index) altname \(name)") {
            LinkMessage(index: index).write(to: &$0)
            // The kernel walks IFLA_PROP_LIST as a flagged nest.
            $0.nest(IFLA_PROP_LIST, nestedFlag: true) { $0.put(IFLA_ALT_IFNAME, string: name) }
        }
    }

    /// `bridge link set dev X hairpin on|off`: RTM_SETLINK in family AF_BRIDGE, which
    /// the kernel hands to the port's bridge, with IFLA_PROTINFO (flagged
    /// NLA_F_NESTED: without the flag the bridge reads it as a bare STP state) holding
    /// IFLA_BRPORT_MODE. Dumps report the flag in `LinkMessage.port`.
    public static func setBridgePortHairpin(linkIndex: Int32, enabled: Bool) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_SETLINK),
                       summary: "RTM_SETLINK index \(linkIndex) bridge port hairpin \(enabled ? "on" : "off")") {
            var link = LinkMessage(index: linkIndex)
            link.family = UInt8(AF_BRIDGE)
            link.write(to: &$0)
            $0.nest(IFLA_PROTINFO, nestedFlag: true) { $0.put(IFLA_BRPORT_MODE, u8: enabled ? 1 : 0) }
        }
    }
}

extension LinkMessage {
    /// How a request names this link: "veth0 (veth)", "index 7".
    var subject: String {
        var words: [String] = []
        if let name { words.append(name) }
        if index != 0 { words.append(name == nil ? "index \(index)" : "(index \(index))") }
        if let kind = info?.kind { words.append("(\(kind))") }
        return words.isEmpty ? "(unnamed)" : words.joined(separator: " ")
    }
}
