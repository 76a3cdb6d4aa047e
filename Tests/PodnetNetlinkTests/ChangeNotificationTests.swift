import CMNL
import Glibc
import Testing
@testable import PodnetNetlink

/// Which notifications `podnet watch` takes for possible drift, from the bytes the
/// kernel sends (`ip monitor` showed each case on Linux 6.18).
@Suite struct ChangeNotificationTests {
    /// One message: nlmsghdr, then struct ndmsg (family, padding, ifindex, state, flags, type).
    func neighbour(_ type: Int, family: Int, state: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        append(UInt32(16 + 12)); append(UInt16(type)); append(UInt16(0)); append(UInt32(0)); append(UInt32(0))
        append(UInt8(family)); append(UInt8(0)); append(UInt16(0)); append(Int32(2)); append(UInt16(state)); append(UInt8(0)); append(UInt8(0))
        return bytes
    }

    func route(_ type: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        append(UInt32(16 + 12)); append(UInt16(type)); append(UInt16(0)); append(UInt32(0)); append(UInt32(0))
        bytes += [UInt8](repeating: 0, count: 12)
        return bytes
    }

    @Test(arguments: [
        // What traffic makes and forgets: ARP's and NDP's states, the bridge's learned MACs.
        (RTM_NEWNEIGH, Int(AF_INET), Int(NUD_REACHABLE)), (RTM_NEWNEIGH, Int(AF_INET), Int(NUD_STALE)), (RTM_NEWNEIGH, Int(AF_INET), Int(NUD_INCOMPLETE)),
        (RTM_DELNEIGH, Int(AF_INET), Int(NUD_STALE)), (RTM_NEWNEIGH, Int(AF_BRIDGE), Int(NUD_REACHABLE)), (RTM_DELNEIGH, Int(AF_BRIDGE), Int(NUD_STALE)),
        (RTM_NEWNEIGH, Int(AF_INET6), Int(NUD_REACHABLE)), (RTM_DELNEIGH, Int(AF_INET6), Int(NUD_STALE)),
    ])
    func theKernelsOwnNeighbourChurnIsNotDrift(type: Int, family: Int, state: Int) {
        #expect(!ChangeNotification.mayBeDrift(neighbour(type, family: family, state: state)[...]))
    }

    @Test(arguments: [
        // podnet's entries: permanent neighbours (deleted: reported failed), static and
        // permanent FDB entries of bridges and vxlan devices.
        (RTM_NEWNEIGH, Int(AF_INET), Int(NUD_PERMANENT)), (RTM_NEWNEIGH, Int(AF_INET), Int(NUD_FAILED)), (RTM_DELNEIGH, Int(AF_INET), Int(NUD_FAILED)),
        (RTM_DELNEIGH, Int(AF_BRIDGE), Int(NUD_NOARP | NUD_PERMANENT)), (RTM_DELNEIGH, Int(AF_BRIDGE), Int(NUD_NOARP)), (RTM_NEWNEIGH, Int(AF_BRIDGE), Int(NUD_PERMANENT)),
        // A dual-stack cluster's static VXLAN endpoints: permanent NDP entries.
        (RTM_NEWNEIGH, Int(AF_INET6), Int(NUD_PERMANENT)), (RTM_DELNEIGH, Int(AF_INET6), Int(NUD_FAILED)),
    ])
    func podnetsKindOfNeighbourEntryMayBeDrift(type: Int, family: Int, state: Int) {
        #expect(ChangeNotification.mayBeDrift(neighbour(type, family: family, state: state)[...]))
    }

    @Test(arguments: [Int(RTM_NEWROUTE), Int(RTM_DELROUTE), Int(RTM_NEWLINK), Int(RTM_DELLINK), Int(RTM_NEWADDR), Int(RTM_DELADDR)])
    func everyLinkAddressAndRouteChangeMayBeDrift(type: Int) {
        #expect(ChangeNotification.mayBeDrift(route(type)[...]))
    }

    /// struct ifaddrmsg (family, prefix length, flags, scope, ifindex) after the header.
    func address(_ type: Int, family: Int, scope: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        append(UInt32(16 + 8)); append(UInt16(type)); append(UInt16(0)); append(UInt32(0)); append(UInt32(0))
        append(UInt8(family)); append(UInt8(64)); append(UInt8(0)); append(UInt8(scope)); append(Int32(2))
        return bytes
    }

    /// struct rtmsg (family, dst_len, src_len, tos, table, protocol, scope, type, flags).
    func route(_ type: Int, family: Int, protocol: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        append(UInt32(16 + 12)); append(UInt16(type)); append(UInt16(0)); append(UInt32(0)); append(UInt32(0))
        bytes += [UInt8(family), 64, 0, 0, UInt8(RT_TABLE_MAIN.rawValue), UInt8(`protocol`), 0, UInt8(RTN_UNICAST)] + [0, 0, 0, 0]
        return bytes
    }

    /// IPv6 on every new interface: its fe80:: address (and DAD finishing on it), the
    /// fe80::/64 and prefix routes the kernel makes. Not podnet's, not drift.
    @Test func ipv6sOwnLinkLocalAddressesAndKernelRoutesAreNotDrift() {
        #expect(!ChangeNotification.mayBeDrift(address(Int(RTM_NEWADDR), family: Int(AF_INET6), scope: Int(RT_SCOPE_LINK.rawValue))[...]))
        #expect(!ChangeNotification.mayBeDrift(route(Int(RTM_NEWROUTE), family: Int(AF_INET6), protocol: Int(RTPROT_KERNEL))[...]))
        #expect(!ChangeNotification.mayBeDrift(route(Int(RTM_DELROUTE), family: Int(AF_INET6), protocol: Int(RTPROT_KERNEL))[...]))
        // podnet's IPv6 addresses and routes, and IPv4's as before.
        #expect(ChangeNotification.mayBeDrift(address(Int(RTM_DELADDR), family: Int(AF_INET6), scope: Int(RT_SCOPE_UNIVERSE.rawValue))[...]))
        #expect(ChangeNotification.mayBeDrift(route(Int(RTM_DELROUTE), family: Int(AF_INET6), protocol: Int(RTPROT_BOOT))[...]))
        #expect(ChangeNotification.mayBeDrift(route(Int(RTM_DELROUTE), family: Int(AF_INET), protocol: Int(RTPROT_KERNEL))[...]))
        #expect(ChangeNotification.mayBeDrift(address(Int(RTM_NEWADDR), family: Int(AF_INET), scope: Int(RT_SCOPE_LINK.rawValue))[...]))
    }

    @Test func oneDriftAmongChurnMakesTheDatagramDrift() {
        let churn = neighbour(RTM_NEWNEIGH, family: Int(AF_INET6), state: Int(NUD_REACHABLE))
        #expect(!ChangeNotification.mayBeDrift((churn + churn)[...]))
        #expect(ChangeNotification.mayBeDrift((churn + route(RTM_DELROUTE) + churn)[...]))
    }

    @Test func aDatagramThatDoesNotParseCountsAsDrift() {
        let cut = Array(neighbour(RTM_NEWNEIGH, family: Int(AF_INET6), state: Int(NUD_REACHABLE)).prefix(20))
        #expect(ChangeNotification.mayBeDrift(cut[...]))
    }

    @Test func nftablesGroupsAreOnTheNetfilterBus() {
        #expect(NetlinkMulticastGroup.nftables.bus == .netfilter)
        #expect(NetlinkMulticastGroup.routeObjects.allSatisfy { $0.bus == .route })
        #expect(Set(NetlinkMulticastGroup.routeObjects.map(\.number)).count == 6)
    }
}
