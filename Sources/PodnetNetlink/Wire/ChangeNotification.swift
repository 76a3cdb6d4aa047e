import CMNL

/// What a notification of the groups podnet watches (`NetlinkMulticastGroup`) says
/// about drift: whether the kernel may now differ from what podnet made.
public enum ChangeNotification {
    /// True unless every message of `datagram` is known to be the kernel's own churn:
    /// neighbour entries the kernel learns and forgets as traffic comes and goes
    /// (ARP's reachable, stale, delay, probe, incomplete; the bridge's learned MACs),
    /// and every IPv6 neighbour (podnet makes none). podnet's neighbour and FDB entries
    /// are permanent or static, and one deleted is reported as failed or as such.
    /// A datagram that does not parse counts as drift: it is read again whole anyway.
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

    /// struct ndmsg: family (1 byte), padding (3), ifindex (4), state (2), flags, type.
    static func isKernelChurn(_ message: NetlinkMessage) -> Bool {
        guard message.type == UInt16(RTM_NEWNEIGH) || message.type == UInt16(RTM_DELNEIGH) else { return false }
        var header = message.reader(what: "ndmsg")
        guard let family = try? header.read(UInt8.self) else { return false }
        if family == UInt8(AF_INET6) { return true }
        guard family == UInt8(AF_INET) || family == UInt8(AF_BRIDGE),
              (try? header.skip(7)) != nil, let raw = try? header.read(UInt16.self) else { return false }
        let state = NeighbourState(rawValue: raw)
        return state.isDisjoint(with: ownNeighbourStates)
    }
}
