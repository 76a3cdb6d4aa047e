import CMNL
import PodnetAddress

/// rtnetlink address requests.
extension NetlinkRequest {
    /// `ip addr add`: RTM_NEWADDR. The kernel adds the prefix route itself (proto
    /// kernel, scope link) unless IFA_F_NOPREFIXROUTE is set.
    public static func addAddress(_ address: AddressMessage, mode: CreationMode = .exclusive) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_NEWADDR), flags: mode.flags, summary: "RTM_NEWADDR \(address.subject)") {
            address.write(to: &$0)
        }
    }

    /// `ip addr del`: RTM_DELADDR.
    public static func deleteAddress(_ address: AddressMessage) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_DELADDR), summary: "RTM_DELADDR \(address.subject)") {
            address.write(to: &$0)
        }
    }

    /// `ip addr show`: RTM_GETADDR dump of the namespace's addresses of `family`
    /// (nil: both, in one dump), or of one link's (strict checking filters by ifa_index).
    public static func dumpAddresses(family: AddressFamily? = nil, linkIndex: Int32 = 0) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETADDR), summary: "RTM_GETADDR dump") {
            var filter = AddressMessage()
            filter.family = family?.rawValue ?? UInt8(AF_UNSPEC)
            filter.index = linkIndex
            filter.write(to: &$0)
        }
    }
}

extension AddressMessage {
    /// "10.244.0.1/24 dev index 3".
    var subject: String {
        "\(prefix?.description ?? "(no address)") dev index \(index)"
    }
}
