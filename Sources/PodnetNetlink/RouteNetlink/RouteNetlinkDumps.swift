import CMNL
import PodnetAddress
import Glibc

/// Dumps decoded into rtnetlink messages: one dump per object kind per namespace, as
/// the kernel driver reads live state.
extension NetlinkConnection {
    /// Every link of the namespace.
    public func links() throws(NetlinkError) -> [LinkMessage] {
        try decode(dump(.dumpLinks()), type: RTM_NEWLINK, summary: "RTM_GETLINK dump") {
            (message) throws(NetlinkParseError) in try LinkMessage(decoding: message)
        }
    }

    /// The link named `name` (or with that alternative name), nil if there is none.
    public func link(named name: String) throws(NetlinkError) -> LinkMessage? {
        let request = NetlinkRequest.getLink(name: name)
        let replies: [NetlinkMessage]
        do {
            replies = try execute(request)
        } catch let error where error.kernelError?.code == ENODEV {
            return nil
        }
        return try decode(replies, type: RTM_NEWLINK, summary: request.summary) {
            (message) throws(NetlinkParseError) in try LinkMessage(decoding: message)
        }.first
    }

    /// The addresses of `family` (nil: both) of the namespace, or of one link.
    public func addresses(family: AddressFamily? = nil, linkIndex: Int32 = 0) throws(NetlinkError) -> [AddressMessage] {
        try decode(dump(.dumpAddresses(family: family, linkIndex: linkIndex)), type: RTM_NEWADDR, summary: "RTM_GETADDR dump") {
            (message) throws(NetlinkParseError) in try AddressMessage(decoding: message)
        }
    }

    /// The routes of `family` (nil: every family) of every table, or of one.
    public func routes(family: AddressFamily? = .ipv4, table: RouteTable? = nil) throws(NetlinkError) -> [RouteMessage] {
        try decode(dump(.dumpRoutes(family: family, table: table)), type: RTM_NEWROUTE, summary: "RTM_GETROUTE dump") {
            (message) throws(NetlinkParseError) in try RouteMessage(decoding: message)
        }
    }

    /// The route the kernel takes to `destination` (`ip route get`); nil where it has
    /// none (ENETUNREACH, EHOSTUNREACH).
    public func route(to destination: IPAddress) throws(NetlinkError) -> RouteMessage? {
        let request = NetlinkRequest.getRoute(to: destination)
        let replies: [NetlinkMessage]
        do {
            replies = try execute(request)
        } catch let error where [ENETUNREACH, EHOSTUNREACH].contains(error.kernelError?.code ?? 0) {
            return nil
        }
        return try decode(replies, type: RTM_NEWROUTE, summary: request.summary) {
            (message) throws(NetlinkParseError) in try RouteMessage(decoding: message)
        }.first
    }

    /// The neighbour entries of `family` (nil: ARP's and NDP's, in one dump).
    public func neighbours(family: AddressFamily? = nil) throws(NetlinkError) -> [NeighbourMessage] {
        try decode(dump(.dumpNeighbours(family: family)), type: RTM_NEWNEIGH, summary: "RTM_GETNEIGH dump") {
            (message) throws(NetlinkParseError) in try NeighbourMessage(decoding: message)
        }
    }

    /// The bridge forwarding entries (bridges' and vxlan devices' own).
    public func forwardingEntries() throws(NetlinkError) -> [NeighbourMessage] {
        try decode(dump(.dumpForwardingEntries()), type: RTM_NEWNEIGH, summary: "RTM_GETNEIGH fdb dump") {
            (message) throws(NetlinkParseError) in try NeighbourMessage(decoding: message)
        }
    }

    private func decode<T>(
        _ messages: [NetlinkMessage], type: Int, summary: String,
        _ decode: (NetlinkMessage) throws(NetlinkParseError) -> T
    ) throws(NetlinkError) -> [T] {
        var decoded: [T] = []
        decoded.reserveCapacity(messages.count)
        for message in messages where message.type == UInt16(type) {
            decoded.append(try parse(summary) { () throws(NetlinkParseError) in try decode(message) })
        }
        return decoded
    }
}
