import CMNL

/// What a notification of the groups podnet watches (`NetlinkMulticastGroup`) says
/// about drift: whether the kernel may now differ from what podnet made.
public enum ChangeNotification {
    /// True unless every message of `datagram` is known to be the kernel's own churn:
    /// neighbour entries the kernel learns and forgets as traffic comes and goes
    /// (ARP's and NDP's reachable, stale, delay, probe, incomplete; the bridge's
    /// learned MACs), and what IPv6 makes by itself on every interface: its
    /// link-local address (and that address's DAD finishing) and its `proto kernel`
    /// routes (fe80::/64, each address's prefix route, the local table's). podnet's
    /// neighbour and FDB entries are permanent or static, and one deleted is reported
    /// as failed or as such. A datagram that does not parse counts as drift: it is
    /// read again whole anyway.
    public static func mayBeDrift(_ datagram: ArraySlice<UInt8>) -> Bool {
        var iterator = NetlinkMessageIterator(datagram)
        do {
            var any = false
            while let message = try iterator.next() {
                any = true
                if !isKernelChurn(message) { return true }
            }
            return !any
        } catch {
            return true
        }
    }

    static let ownNeighbourStates: NeighbourState = [.permanent, .noARP, .failed]

    static func isKernelChurn(_ message: NetlinkMessage) -> Bool {
        switch Int(message.type) {
        case Int(RTM_NEWNEIGH), Int(RTM_DELNEIGH): return isNeighbourChurn(message)
        case Int(RTM_NEWADDR), Int(RTM_DELADDR): return isIPv6LinkLocalAddress(message)
        case Int(RTM_NEWROUTE), Int(RTM_DELROUTE): return isIPv6KernelRoute(message)
        default: return false
        }
    }

    /// struct ndmsg: family (1 byte), padding (3), ifindex (4), state (2), flags, type.
    static func isNeighbourChurn(_ message: NetlinkMessage) -> Bool {
        var header = message.reader(what: "ndmsg")
        guard let family = try? header.read(UInt8.self),
              [UInt8(AF_INET), UInt8(AF_INET6), UInt8(AF_BRIDGE)].contains(family),
              (try? header.skip(7)) != nil, let raw = try? header.read(UInt16.self) else { return false }
        let state = NeighbourState(rawValue: raw)
        return state.isDisjoint(with: ownNeighbourStates)
    }

    /// struct ifaddrmsg: family, prefix length, flags, scope, ifindex. podnet's
    /// addresses are of universe scope; IPv4 link-scope ones are someone's all the same.
    static func isIPv6LinkLocalAddress(_ message: NetlinkMessage) -> Bool {
        var header = message.reader(what: "ifaddrmsg")
        guard let family = try? header.read(UInt8.self), family == UInt8(AF_INET6),
              (try? header.skip(2)) != nil, let scope = try? header.read(UInt8.self) else { return false }
        return scope == RouteScope.link.rawValue
    }

    /// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
    static func isIPv6KernelRoute(_ message: NetlinkMessage) -> Bool {
        var header = message.reader(what: "rtmsg")
        guard let family = try? header.read(UInt8.self), family == UInt8(AF_INET6),
              (try? header.skip(4)) != nil, let routeProtocol = try? header.read(UInt8.self) else { return false }
        return routeProtocol == RouteProtocol.kernel.rawValue
    }
}
