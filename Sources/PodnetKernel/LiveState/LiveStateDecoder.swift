import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetNetlink

/// Wire messages of one namespace → kernel-model objects.
enum LiveStateDecoder {
    /// Placeholder peer of a veth end until `pairVeths` finds the other end.
    static let unknownPeer = Link.ID(.current, "")
    static let linkLocal = IPv6Prefix("fe80::/10")!
    static let ipv4Compatible = IPv6Prefix("::/96")!

    static func add(_ snapshot: NamespaceSnapshot, in namespace: NamespaceRef, to state: inout KernelState) {
        let names = Dictionary(snapshot.links.compactMap { link in link.name.map { (link.index, $0) } }, uniquingKeysWith: { a, _ in a })
        for message in snapshot.links {
            guard let link = link(message, in: namespace, names: names) else { continue }
            state.insert(link)
        }
        for message in snapshot.addresses {
            guard let name = names[message.index], name != "lo", let prefix = message.prefix else { continue }
            // The kernel gives every IPv6 interface a link-local address of its own
            // (fe80::/64, from the MAC): not podnet's, nor anything it would remove.
            if case .v6(let address) = prefix.address, Self.linkLocal.contains(address) { continue }
            // A sit device gets IPv4-compatible addresses (::192.168.64.4/96) of the
            // kernel's own making, one per local IPv4 address; podnet makes none.
            if case .v6(let address) = prefix.address, Self.ipv4Compatible.contains(address) { continue }
            state.insert(Address(link: .init(namespace, name), address: prefix))
        }
        for message in snapshot.routes where message.type == .unicast && message.table == .main {
            let route = Route(
                id: .init(namespace: namespace, table: message.table.rawValue, destination: message.destinationPrefix),
                gateway: message.gateway, device: message.outputInterface.flatMap { names[$0] },
                onlink: message.flags.contains(.onlink), protocol: message.protocol.rawValue)
            state.insert(route)
        }
        for message in snapshot.neighbours where message.state.contains(.permanent) {
            guard let name = names[message.index], let address = message.destination, let mac = message.linkAddress else { continue }
            state.insert(Neighbour(id: .init(link: .init(namespace, name), address: address), mac: mac))
        }
        for message in snapshot.forwardingEntries where message.flags.contains(.self) && message.state.contains(.permanent) {
            guard let name = names[message.index], let destination = message.destination, let mac = message.linkAddress else { continue }
            // The all-zeros entry is the device's own default destination (its group
            // or remote), made by the kernel from the device's configuration.
            guard mac != .zero else { continue }
            state.insert(FDBEntry(id: .init(link: .init(namespace, name), mac: mac, destination: destination)))
        }
        for table in snapshot.nftTables { state.insert(table) }
        for (id, record) in snapshot.nftRecords { state.nftRecords[id] = record }
        for (id, generation) in snapshot.nftGenerations { state.nftGenerations[id] = generation }
        for chain in snapshot.iptablesChains { state.insert(chain) }
        for rule in snapshot.iptablesRules { state.insert(rule) }
        for service in snapshot.ipvsServices { state.insert(service) }
        state.foreignIPVSServices.formUnion(snapshot.foreignIPVSServices)
        for (key, value) in snapshot.sysctls {
            state.insert(Sysctl(id: .init(namespace: namespace, key: key), value: value))
        }
    }

    static func link(_ message: LinkMessage, in namespace: NamespaceRef, names: [Int32: String]) -> Link? {
        guard let name = message.name else { return nil }
        let kind: LinkKind
        switch message.info {
        case .veth: kind = .veth(peer: unknownPeer)
        case .bridge: kind = .bridge
        case .dummy: kind = .dummy
        case .vxlan(let info):
            kind = .vxlan(VXLANDevice(vni: Int(info.id), port: Int(info.port ?? 4789), local: info.local, group: info.group,
                                      device: info.underlyingIndex.flatMap { names[$0] }, learning: info.learning ?? true))
        case .ipip(let info):
            kind = .ipip(IPIPDevice(local: info.local, device: info.underlyingIndex.flatMap { names[$0] }))
        case .sit(let info):
            kind = .sit(IPIPDevice(local: info.local, device: info.underlyingIndex.flatMap { names[$0] }))
        case .other(let other): kind = .other(other)
        // No IFLA_LINKINFO: lo (ARPHRD_LOOPBACK, 772) or a physical device.
        case nil: kind = message.deviceType == 772 ? .loopback : .other("device")
        }
        var hairpin: Bool?
        if case .bridge(let port)? = message.port { hairpin = port.hairpin }
        return Link(id: .init(namespace, name), kind: kind, mtu: message.mtu.map(Int.init), up: message.isUp,
                    master: message.master.flatMap { names[$0] }, hairpin: hairpin,
                    mark: message.alias.flatMap(OwnershipMark.init(alias:)), alternativeNames: message.alternativeNames,
                    mac: message.address)
    }

    /// A veth end names its peer by ifindex and a namespace id that only means
    /// something inside its own namespace; mapping ids to names would take a query
    /// per pair of namespaces. podnet marks both ends of a pair alike, so the two
    /// owned veth ends with the same mark are a pair. Anything else keeps an
    /// unknown peer, which the planner treats as a link to replace.
    static func pairVeths(in state: inout KernelState) {
        var byMark: [String: [Link.ID]] = [:]
        for link in state.links.values {
            guard case .veth = link.kind, let mark = link.mark else { continue }
            byMark[mark.alias, default: []].append(link.id)
        }
        for ends in byMark.values where ends.count == 2 {
            state.links[ends[0]]?.kind = .veth(peer: ends[1])
            state.links[ends[1]]?.kind = .veth(peer: ends[0])
        }
    }
}
