import CMNL
import PodnetAddress

/// rtnetlink neighbour and FDB requests.
extension NetlinkRequest {
    /// `ip neigh add|replace` or `bridge fdb add|replace|append` (by the entry's
    /// family): RTM_NEWNEIGH.
    public static func addNeighbour(_ entry: NeighbourMessage, mode: CreationMode = .exclusive) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_NEWNEIGH), flags: mode.flags, summary: "RTM_NEWNEIGH \(entry.subject)") {
            entry.write(to: &$0)
        }
    }

    /// `ip neigh del` or `bridge fdb del`: RTM_DELNEIGH. For a vxlan FDB entry with
    /// several remotes, NDA_DST says which one goes.
    public static func deleteNeighbour(_ entry: NeighbourMessage) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_DELNEIGH), summary: "RTM_DELNEIGH \(entry.subject)") {
            entry.write(to: &$0)
        }
    }

    /// `ip neigh show`: RTM_GETNEIGH dump of the namespace's neighbours of `family`
    /// (nil: every neighbour table, ARP's and NDP's, in one dump; the bridges' FDB is
    /// family AF_BRIDGE and not in it).
    public static func dumpNeighbours(family: AddressFamily? = nil) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETNEIGH), summary: "RTM_GETNEIGH dump") {
            var filter = NeighbourMessage()
            filter.family = family?.rawValue ?? UInt8(AF_UNSPEC)
            filter.write(to: &$0)
        }
    }

    /// `bridge fdb show`: RTM_GETNEIGH dump in family AF_BRIDGE: the forwarding entries
    /// of every bridge and of every device with its own table (vxlan).
    public static func dumpForwardingEntries() -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETNEIGH), summary: "RTM_GETNEIGH fdb dump") {
            var filter = NeighbourMessage()
            filter.family = UInt8(AF_BRIDGE)
            filter.write(to: &$0)
        }
    }
}

extension NeighbourMessage {
    /// "10.244.1.0 lladdr aa:bb:… dev index 5" or "fdb aa:bb:… dst 10.0.0.2 dev index 5".
    var subject: String {
        var words: [String] = []
        if isForwardingEntry {
            words.append("fdb \(linkAddress?.description ?? "(no MAC)")")
            if let destination { words.append("dst \(destination)") }
        } else {
            words.append(destination?.description ?? "(no address)")
            if let linkAddress { words.append("lladdr \(linkAddress)") }
        }
        words.append("dev index \(index)")
        return words.joined(separator: " ")
    }
}
