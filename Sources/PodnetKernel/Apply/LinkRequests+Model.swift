import PodnetAddress
import PodnetKernelModel
import PodnetNetlink

/// Kernel-model objects → rtnetlink messages, given the ifindexes of the links
/// they refer to (by name, in the same namespace).
enum WireMessages {
    /// - Parameter ifindexes: for a veth, the ifindexes to give its two ends (0: the
    ///   kernel's choice); see PlanExecutor.vethIndexes.
    static func creation(of link: Link, peer: Link?, peerNamespace: NetnsHandle?, indexes: [String: Int32],
                         ifindexes: (link: Int32, peer: Int32) = (0, 0)) -> LinkMessage {
        var message = LinkMessage(index: ifindexes.link, name: link.id.name)
        message.mtu = link.mtu.map(UInt32.init)
        message.address = link.mac
        switch link.kind {
        case .bridge: message.info = .bridge
        case .dummy: message.info = .dummy
        case .veth:
            var end = LinkMessage(name: peer?.id.name ?? "")
            end.mtu = peer?.mtu.map(UInt32.init)
            end.index = ifindexes.peer
            end.namespaceFD = peerNamespace?.fileDescriptor.rawValue
            message.info = .veth(peer: end)
        case .vxlan(let vxlan):
            message.info = .vxlan(VXLANInfo(id: UInt32(vxlan.vni), local: vxlan.local, group: vxlan.group, port: UInt16(vxlan.port),
                                            underlyingIndex: vxlan.device.flatMap { indexes[$0] }, learning: vxlan.learning))
        case .ipip(let ipip):
            message.info = .ipip(IPIPInfo(local: ipip.local, underlyingIndex: ipip.device.flatMap { indexes[$0] }))
        case .sit(let sit):
            message.info = .sit(IPIPInfo(local: sit.local, underlyingIndex: sit.device.flatMap { indexes[$0] }))
        case .loopback, .other:
            break
        }
        return message
    }

    /// RTM_SETLINK bringing `link` to its desired flags, MTU, master and alias.
    static func configuration(of link: Link, index: Int32, indexes: [String: Int32]) -> LinkMessage {
        var message = LinkMessage(index: index)
        message.setUp(link.up)
        message.mtu = link.mtu.map(UInt32.init)
        message.address = link.mac
        message.master = link.master.flatMap { indexes[$0] } ?? 0
        message.alias = link.mark?.alias
        return message
    }

    static func route(_ route: Route, indexes: [String: Int32]) -> RouteMessage {
        RouteMessage(destination: route.id.destination, gateway: route.gateway,
                     outputInterface: route.device.flatMap { indexes[$0] },
                     table: RouteTable(rawValue: route.id.table), protocol: RouteProtocol(rawValue: route.protocol),
                     flags: route.onlink ? [.onlink] : [])
    }

    /// An address to add: IPv6 ones without Duplicate Address Detection (see `Address`).
    static func address(_ address: Address, index: Int32) -> AddressMessage {
        AddressMessage(index: index, prefix: address.address, flags: address.family == .ipv6 ? AddressMessage.noDAD : 0)
    }

    /// A route to delete: matched on table and destination, whatever its protocol.
    static func routeDeletion(_ route: Route) -> RouteMessage {
        var message = RouteMessage(destination: route.id.destination, table: RouteTable(rawValue: route.id.table))
        message.protocol = .unspecified
        message.type = .unspecified
        return message
    }
}
