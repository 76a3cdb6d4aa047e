import CMNL
import PodnetAddress

/// rtnetlink route requests.
extension NetlinkRequest {
    /// `ip route add` (or `replace`, with `.replace`): RTM_NEWROUTE.
    public static func addRoute(_ route: RouteMessage, mode: CreationMode = .exclusive) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_NEWROUTE), flags: mode.flags, summary: "RTM_NEWROUTE \(route.subject)") {
            route.write(to: &$0)
        }
    }

    /// `ip route del`: RTM_DELROUTE. The kernel deletes the first route matching
    /// every field given; give table, destination and what tells routes apart.
    public static func deleteRoute(_ route: RouteMessage) -> NetlinkRequest {
        var route = route
        // RTM_DELROUTE matches scope and type only when set; iproute2 sends
        // RT_SCOPE_NOWHERE ("any scope") unless asked otherwise.
        route.scope = .nowhere
        return NetlinkRequest(type: UInt16(RTM_DELROUTE), summary: "RTM_DELROUTE \(route.subject)") {
            route.write(to: &$0)
        }
    }

    /// `ip route get ADDRESS`: the route the kernel would take for a packet to
    /// `destination` (RTM_GETROUTE for one address; the answer is an RTM_NEWROUTE
    /// with the output interface and gateway chosen). Only RTA_DST is sent: strict
    /// checking refuses a get with the attributes of an added route.
    public static func getRoute(to destination: IPAddress) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETROUTE), summary: "RTM_GETROUTE \(destination)") {
            var query = RouteMessage()
            query.table = .unspecified
            query.protocol = .unspecified
            query.type = .unspecified
            query.family = destination.family.rawValue
            query.destinationLength = UInt8(destination.family.addressBits)
            query.destination = destination
            query.write(to: &$0)
        }
    }

    /// `ip route show table all`: RTM_GETROUTE dump of the routes of `family` (nil:
    /// every family, in one dump) of every table, or of `table` only (a table that does
    /// not exist is an error, ENOENT, when a family is given; skipped by the families
    /// that lack it otherwise).
    public static func dumpRoutes(family: AddressFamily? = .ipv4, table: RouteTable? = nil) -> NetlinkRequest {
        let what = table.map { "table \($0.rawValue)" } ?? "all tables"
        return NetlinkRequest(type: UInt16(RTM_GETROUTE), summary: "RTM_GETROUTE dump \(what)") {
            var filter = RouteMessage()
            filter.family = family?.rawValue ?? UInt8(AF_UNSPEC)
            filter.table = .unspecified
            filter.protocol = .unspecified
            filter.type = .unspecified
            filter.write(to: &$0)
            // Strict checking filters by RTA_TABLE (rtm_table is ignored for that).
            if let table { $0.put(RTA_TABLE.rawValue, u32: table.rawValue) }
        }
    }
}

extension RouteMessage {
    /// "10.244.1.0/24 via 10.0.0.2 dev index 3 table 254".
    var subject: String {
        var words = [destinationPrefix.description]
        if let gateway { words.append("via \(gateway)") }
        if let outputInterface { words.append("dev index \(outputInterface)") }
        words.append("table \(table.rawValue)")
        return words.joined(separator: " ")
    }
}
