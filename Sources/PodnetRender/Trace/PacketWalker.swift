import PodnetAddress
import PodnetKernelModel

/// Follows a packet through a kernel state (the desired one, or one read live), as
/// the kernel would forward it: a route look-up in each namespace, the netfilter
/// hooks (nf_tables rules run by `NFTInterpreter`), veth pairs into the next
/// namespace, bridges to the port leading to the next hop, VXLAN and IP-in-IP
/// encapsulation over the underlay, until it is delivered or dropped. Then the
/// reply, back through the connection tracking entries the NAT on the way made.
///
/// Pure: it reads the state only, so `trace` can follow the file's desired state
/// and `trace --live` the kernel's, and the two paths can be compared hop by hop.
public struct PacketWalker: Sendable {
    public let state: KernelState
    private let linksByNamespace: [NamespaceRef: [Link]]
    private let addressesByNamespace: [NamespaceRef: [Address]]
    private let routesByNamespace: [NamespaceRef: [Route]]
    private let tablesByNamespace: [NamespaceRef: [NFTable]]

    public init(state: KernelState) {
        self.state = state
        linksByNamespace = Dictionary(grouping: state.links.values, by: \.id.namespace)
        // Both families: a packet's look-ups meet only its own family's prefixes
        // (`IPPrefix.contains` is false across families). Link-local addresses are
        // the kernel's, and no packet podnet traces is sent from or to one.
        addressesByNamespace = Dictionary(grouping: state.addresses.filter { $0.address.ipv6?.address.isLinkLocal != true },
                                          by: \.link.namespace)
        routesByNamespace = Dictionary(grouping: state.routes.values.filter { $0.id.table == Route.mainTable }, by: \.id.namespace)
        tablesByNamespace = Dictionary(grouping: state.nftTables.values, by: \.id.namespace)
    }

    /// Which way random choices go: to the candidate leading to `endpoint` (an
    /// endpoint pod's address), else the first.
    public struct Choices: Sendable {
        public var endpoint: IPAddress?
        public init(endpoint: IPAddress? = nil) { self.endpoint = endpoint }
        public init(endpoint: IPv4Address?) { self.endpoint = endpoint.map(IPAddress.v4) }

        /// nftables names an endpoint's chain `endpoint-…__IP/PORT` (IPv6's colons as
        /// dots); the iptables interpreter labels a KUBE-SEP chain `KUBE-SEP-… (IP:PORT)`
        /// (`([IPv6]:PORT)`), IPVS a real server `IP:PORT` (`[IPv6]:PORT`).
        func choose(_ candidates: [String]) -> Int {
            guard let endpoint else { return 0 }
            let named = "__\(NFTablesProxyNames.nameText(endpoint))/"
            let labelled = endpoint.family == .ipv4 ? "(\(endpoint):" : "([\(endpoint)]:"
            return candidates.firstIndex { $0.contains(named) || $0.contains(labelled) } ?? 0
        }
    }

    /// The packet's path from a process in `namespace`, and its reply's.
    public func trace(_ packet: TracedPacket, from namespace: NamespaceRef, choices: Choices = Choices()) -> PacketPath {
        var walk = Walk(walker: self, choices: choices, established: false)
        walk.originate(packet, in: namespace)
        var path = PacketPath(hops: walk.hops, outcome: walk.outcome ?? .dropped(reason: "the trace got lost"))
        path.rules = walk.rules
        path.sourceTranslated = walk.sourceTranslated
        guard case .delivered(let name) = path.outcome, let delivered = walk.deliveredPacket else { return path }
        var reply = Walk(walker: self, choices: choices, established: true, conntrack: walk.conntrack)
        reply.originate(delivered.reversed, in: Self.namespace(named: name))
        path.reply = reply.hops
        path.replyOutcome = reply.outcome ?? .dropped(reason: "the trace got lost")
        path.replyRules = reply.rules
        return path
    }

    public static func namespace(named name: String) -> NamespaceRef { name == NamespaceRef.current.description ? .current : .named(name) }

    // MARK: The state, looked up

    func links(in namespace: NamespaceRef) -> [Link] { linksByNamespace[namespace] ?? [] }
    func link(_ id: Link.ID) -> Link? { state.links[id] }
    func addresses(in namespace: NamespaceRef) -> [Address] { addressesByNamespace[namespace] ?? [] }
    func tables(in namespace: NamespaceRef) -> [NFTable] { tablesByNamespace[namespace] ?? [] }

    func isLocal(_ address: IPAddress, in namespace: NamespaceRef) -> Bool {
        Self.loopback(address.family).contains(address) || addresses(in: namespace).contains { $0.address.address == address }
    }

    /// 127.0.0.0/8, ::1/128.
    static func loopback(_ family: AddressFamily) -> IPPrefix {
        family == .ipv4 ? .v4(IPv4Prefix(address: IPv4Address(127, 0, 0, 0), length: 8)) : .v6(IPv6Prefix(address: .loopback, length: 128))
    }

    /// The route the kernel picks in `namespace` for `destination`: the longest prefix
    /// among the main table's routes and those the kernel makes for each address's
    /// prefix (on-link, through the address's device).
    func route(to destination: IPAddress, in namespace: NamespaceRef) -> (route: Route, connected: Bool)? {
        var best: (route: Route, connected: Bool)?
        for route in routesByNamespace[namespace] ?? [] where route.id.destination.contains(destination) {
            if best == nil || route.id.destination.length > best!.route.id.destination.length { best = (route, false) }
        }
        for address in addresses(in: namespace) where address.address.network.contains(destination) {
            let prefix = address.address.network
            if best == nil || prefix.length > best!.route.id.destination.length {
                best = (Route(id: .init(namespace: namespace, destination: prefix), device: address.link.name), true)
            } else if let chosen = best, !chosen.connected, chosen.route.gateway == nil, chosen.route.id.destination == prefix,
                      chosen.route.device == address.link.name {
                // A live state lists the kernel's own route for an address (proto
                // kernel) with the rest: the same route the model derives.
                best = (chosen.route, true)
            }
        }
        return best
    }

    /// The first address of `family` of a device: the source of what the kernel sends from it.
    func address(of device: Link.ID, family: AddressFamily = .ipv4) -> IPAddress? {
        addresses(in: device.namespace).filter { $0.link == device && $0.family == family }.map(\.address.address).min()
    }

    /// The source address the kernel picks for a packet of `family` to `destination`
    /// leaving by `device`: the device's own first address; in IPv6, without one, the
    /// namespace's global address sharing the longest prefix with the destination
    /// (RFC 6724's rule 8: the selection looks beyond the outgoing interface, so a
    /// node's traffic over `vxlan0`, which holds no IPv6 address, leaves with the
    /// bridge's `fd00:200::1` toward another node's pods).
    func sourceAddress(leaving device: Link.ID, family: AddressFamily, toward destination: IPAddress) -> IPAddress? {
        if let own = address(of: device, family: family) { return own }
        guard family == .ipv6 else { return nil }
        let candidates = addresses(in: device.namespace).filter { $0.family == .ipv6 && $0.address.address != .v6(.loopback) }
            .map(\.address.address).sorted()
        return candidates.max { Self.commonPrefixLength($0, destination) < Self.commonPrefixLength($1, destination) }
    }

    /// How many leading bits two addresses share.
    static func commonPrefixLength(_ a: IPAddress, _ b: IPAddress) -> Int {
        var length = 0
        for (x, y) in zip(a.bytes, b.bytes) {
            let differing = x ^ y
            if differing != 0 { return length + differing.leadingZeroBitCount }
            length += 8
        }
        return length
    }

    /// The sysctl by which `namespace` forwards packets of `family`.
    static func forwardingKey(_ family: AddressFamily) -> String {
        family == .ipv4 ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding"
    }

    /// The sysctl by which bridged packets of `family` cross the IP hooks (br_netfilter).
    static func bridgedThroughHooksKey(_ family: AddressFamily) -> String {
        family == .ipv4 ? "net.bridge.bridge-nf-call-iptables" : "net.bridge.bridge-nf-call-ip6tables"
    }

    func sysctl(_ key: String, in namespace: NamespaceRef) -> String? {
        state.sysctls[Sysctl.ID(namespace: namespace, key: key)]?.value
    }
}

/// One walk: the hops so far, and the connection tracking entries NAT left behind
/// (the reply's walk undoes them).
private struct Walk {
    let walker: PacketWalker
    let choices: PacketWalker.Choices
    /// The reply: conntrack knows the connection (`ct state established`).
    let established: Bool
    var hops: [PacketPath.Hop] = []
    var outcome: PacketPath.Outcome?
    var deliveredPacket: TracedPacket?
    /// Every rule that matched, in order, namespace by namespace (what nftrace reports).
    var rules: [PacketPath.MatchedRule] = []
    var sourceTranslated = false
    /// Per namespace: NAT done there, as (the reply's packet as it arrives, the reply
    /// as conntrack turns it back).
    var conntrack: [NamespaceRef: [(TracedPacket, TracedPacket)]] = [:]
    /// A guard against loops (a live state may hold any).
    var budget = 64

    init(walker: PacketWalker, choices: PacketWalker.Choices, established: Bool,
         conntrack: [NamespaceRef: [(TracedPacket, TracedPacket)]] = [:]) {
        self.walker = walker
        self.choices = choices
        self.established = established
        self.conntrack = conntrack
    }

    // MARK: Namespaces' stacks

    /// A process in `namespace` sends the packet: routing, the output and postrouting hooks.
    mutating func originate(_ packet: TracedPacket, in namespace: NamespaceRef) {
        var packet = undoNAT(packet, in: namespace)
        guard spend(in: namespace, packet) else { return }
        if walker.isLocal(packet.destination, in: namespace) {
            if let scheduled = ipvs(packet, in: namespace) { return sendOn(scheduled, from: namespace) }
            return deliver(packet, in: namespace, local: true)
        }
        guard var (route, device, nextHop) = routeOrDrop(packet, in: namespace) else { return }
        guard let output = hook(.output, packet, in: namespace, outDevice: device) else { return }
        if output.destination != packet.destination {
            packet = output
            guard let rerouted = routeOrDrop(packet, in: namespace) else { return }
            (route, device, nextHop) = rerouted
        } else {
            packet = output
        }
        _ = route
        guard let leaving = hook(.postrouting, packet, in: namespace, outDevice: device) else { return }
        transmit(leaving, in: namespace, device: device, nextHop: nextHop)
    }

    /// The packet comes up into `namespace`'s stack by `device`: prerouting, then
    /// delivery or forwarding.
    mutating func arrive(_ packet: TracedPacket, in namespace: NamespaceRef, device: String) {
        var packet = undoNAT(packet, in: namespace)
        guard spend(in: namespace, packet) else { return }
        guard let routed = hook(.prerouting, packet, in: namespace, outDevice: nil) else { return }
        packet = routed
        if walker.isLocal(packet.destination, in: namespace) {
            // IPVS takes a virtual server's packets at local-in and sends them on to
            // the real server from the node's own output path.
            if let scheduled = ipvs(packet, in: namespace) { return sendOn(scheduled, from: namespace) }
            return deliver(packet, in: namespace, local: false)
        }
        let forwarding = PacketWalker.forwardingKey(packet.family)
        guard walker.sysctl(forwarding, in: namespace) == "1" || namespace == .current else {
            return drop("\(name(namespace)) does not forward (\(forwarding) is not 1): the packet for \(packet.destination) dies here", packet, in: namespace)
        }
        guard let (_, outDevice, nextHop) = routeOrDrop(packet, in: namespace) else { return }
        guard let forwarded = hook(.forward, packet, in: namespace, outDevice: outDevice),
              let leaving = hook(.postrouting, forwarded, in: namespace, outDevice: outDevice) else { return }
        transmit(leaving, in: namespace, device: outDevice, nextHop: nextHop)
    }

    /// IPVS's scheduling of a packet to one of the namespace's virtual servers:
    /// the real server chosen (round robin: an equal share each), the destination
    /// rewritten; nil when no virtual server has the packet's address and port.
    mutating func ipvs(_ packet: TracedPacket, in namespace: NamespaceRef) -> TracedPacket? {
        guard !established, packet.protocol == .tcp || packet.protocol == .udp else { return nil }
        guard let service = walker.state.ipvsServices.values.first(where: { (service: IPVSService) -> Bool in
            service.id.namespace == namespace && service.id.address == packet.destination && service.id.port == packet.destinationPort
                && service.id.protocol.number == UInt16(packet.protocol.rawValue)
        }) else { return nil }
        let servers = service.destinations.map { "\($0.id)" }
        guard !servers.isEmpty else {
            drop("IPVS virtual server \(service.id) of \(name(namespace)) has no real server", packet, in: namespace)
            return nil
        }
        let chosen = min(max(0, choices.choose(servers.map { "(\($0)" })), servers.count - 1)
        var scheduled = packet
        scheduled.destination = service.destinations[chosen].id.address
        scheduled.destinationPort = service.destinations[chosen].id.port
        hops.append(.init(.netfilter, namespace: namespace.description,
                          "\(name(namespace)) IPVS: virtual server \(service.id) (\(service.scheduler)) sends it to real server \(servers[chosen])",
                          packet: scheduled,
                          details: ["ipvsadm: -t/-u \(service.id.address.joined(port: Int(service.id.port))) -s \(service.scheduler)",
                                    "real servers (each 1/\(servers.count)): " + servers.enumerated().map { $0 == chosen ? "[\($1)]" : $1 }.joined(separator: ", ")]))
        conntrack[namespace, default: []].append((scheduled.reversed, packet.reversed))
        return scheduled
    }

    /// A packet IPVS scheduled, on its way out: the output hook (where the policy
    /// table judges it: not the node's own traffic), routing, postrouting.
    mutating func sendOn(_ packet: TracedPacket, from namespace: NamespaceRef) {
        guard let (_, device, nextHop) = routeOrDrop(packet, in: namespace),
              let output = hook(.output, packet, in: namespace, outDevice: device),
              let leaving = hook(.postrouting, output, in: namespace, outDevice: device) else { return }
        transmit(leaving, in: namespace, device: device, nextHop: nextHop)
    }

    mutating func deliver(_ packet: TracedPacket, in namespace: NamespaceRef, local: Bool) {
        let what = packet.isEcho ? "answers the echo" : "listening on port \(packet.destinationPort) takes it"
        hops.append(.init(.deliver, namespace: namespace.description,
                          "\(packet.destination) is \(name(namespace))'s own address: delivered there; a process \(what)", packet: packet))
        deliveredPacket = packet
        outcome = .delivered(namespace: namespace.description)
    }

    /// The route for the packet, said as a hop; nil (and the walk dropped) without one.
    mutating func routeOrDrop(_ packet: TracedPacket, in namespace: NamespaceRef) -> (Route, String, IPAddress)? {
        guard let (route, connected) = walker.route(to: packet.destination, in: namespace), let device = route.device else {
            drop("\(name(namespace)) has no route to \(packet.destination)", packet, in: namespace)
            return nil
        }
        let nextHop = route.gateway ?? packet.destination
        let destination = route.id.destination.length == 0 ? "default" : route.id.destination.description
        var text = "\(destination)"
        if let gateway = route.gateway { text += " via \(gateway)" }
        text += " dev \(device)"
        if route.onlink { text += " onlink" }
        if connected { text += " (the kernel's route for \(device)'s address)" }
        hops.append(.init(.route, namespace: namespace.description,
                          "\(name(namespace)) routes \(packet.destination): \(text)", packet: packet, details: ["ip route: \(text)"],
                          route: .init(destination: packet.destination.description, device: device, gateway: route.gateway?.description)))
        return (route, device, nextHop)
    }

    /// The netfilter hook's rules; the packet as they leave it, or nil when they end it.
    mutating func hook(_ hook: NFTBaseChain.Hook, _ packet: TracedPacket, in namespace: NamespaceRef, outDevice: String?) -> TracedPacket? {
        // A packet meets its own family's tables (`ip` or `ip6`) and the `inet` ones;
        // iptables' or ip6tables' chains.
        let tables = walker.tables(in: namespace).filter { $0.id.family == .inet || $0.id.family.addressFamily == packet.family }
        let iptables = IPTablesInterpreter(state: walker.state, namespace: namespace, family: packet.family)
        guard !tables.isEmpty || !iptables.isEmpty else { return packet }
        let masquerade = outDevice.flatMap { walker.sourceAddress(leaving: Link.ID(namespace, $0), family: packet.family, toward: packet.destination) }
        let context = NFTInterpreter.Context(established: established, isLocal: { [walker] in walker.isLocal($0, in: namespace) },
                                             masqueradeAddress: masquerade, choose: { [choices] in choices.choose($0) })
        // iptables' nat chains (priority -100) run before the nf_tables filter chains
        // (0: policy), its filter chains beside them; one drop ends the packet.
        var stages: [(TracedPacket) -> NFTInterpreter.Outcome] = []
        for (table, chain) in IPTablesInterpreter.builtInChains(of: hook) where table == "nat" && !iptables.isEmpty && !established {
            stages.append { iptables.run(table, chain, packet: $0, context: context) }
        }
        if !tables.isEmpty { stages.append { NFTInterpreter(tables: tables).run(hook, packet: $0, context: context) } }
        for (table, chain) in IPTablesInterpreter.builtInChains(of: hook) where table == "filter" && !iptables.isEmpty {
            stages.append { iptables.run(table, chain, packet: $0, context: context) }
        }
        var result = NFTInterpreter.Outcome(verdict: .accept, packet: packet, matched: [], choices: [], destinationNAT: false, sourceNAT: false)
        for stage in stages {
            let next = stage(result.packet)
            rules += next.matched.map { PacketPath.MatchedRule(namespace: namespace.description, table: $0.table, chain: $0.chain, text: $0.text) }
            result.packet = next.packet
            result.matched += next.matched
            result.choices += next.choices
            result.destinationNAT = result.destinationNAT || next.destinationNAT
            result.sourceNAT = result.sourceNAT || next.sourceNAT
            sourceTranslated = sourceTranslated || next.sourceNAT
            result.acceptedByRule = result.acceptedByRule || next.acceptedByRule
            result.verdict = next.verdict
            if next.verdict != .accept { break }
        }
        let decisive = result.matched.filter { !$0.text.hasPrefix("jump ") && !$0.text.hasPrefix("goto ") }
        // A hook is a hop when its rules did something: translated, chose, ended the
        // packet, or let it through by a rule of their own (a policy's allow).
        if result.destinationNAT || result.sourceNAT || !result.choices.isEmpty || result.verdict != .accept || result.acceptedByRule {
            var details = result.matched.map { "\($0.table) \($0.chain): \($0.text)" }
            for choice in result.choices {
                let share = "1/\(choice.candidates.count)"
                details.append("random choice among \(choice.candidates.count) (each \(share)): "
                               + choice.candidates.enumerated().map { $0 == choice.chosen ? "[\($1)]" : $1 }.joined(separator: ", "))
            }
            var did: [String] = []
            if result.destinationNAT { did.append("DNAT to \(TracedPacket.endpoint(result.packet.destination, result.packet.destinationPort))") }
            if result.sourceNAT { did.append("source NAT to \(result.packet.source)") }
            let verdict: String = switch result.verdict {
            case .accept: did.isEmpty ? "accepted by \(decisive.last.map { "\($0.chain): \($0.text)" } ?? "a rule")" : did.joined(separator: ", ")
            case .drop: "dropped"
            case .reject(let how): "rejected (\(how))"
            }
            hops.append(.init(.netfilter, namespace: namespace.description, "\(name(namespace)) \(hook): \(verdict)", packet: result.packet, details: details))
        }
        switch result.verdict {
        case .accept:
            if result.destinationNAT || result.sourceNAT {
                // The reply comes back to this namespace addressed as the NAT left it;
                // conntrack turns it back into what the sender expects.
                conntrack[namespace, default: []].append((result.packet.reversed, packet.reversed))
            }
            return result.packet
        case .drop:
            outcome = .dropped(reason: "dropped by \(name(namespace))'s \(hook) rules (\(decisive.last.map { "\($0.chain): \($0.text)" } ?? "the chain's policy"))")
            return nil
        case .reject(let how):
            outcome = .rejected(reason: "rejected by \(name(namespace))'s \(hook) rules with a \(how) (\(decisive.last.map { "\($0.chain): \($0.text)" } ?? ""))")
            return nil
        }
    }

    /// Conntrack's reverse NAT for a reply arriving where the request was translated.
    mutating func undoNAT(_ packet: TracedPacket, in namespace: NamespaceRef) -> TracedPacket {
        guard established, let entries = conntrack[namespace] else { return packet }
        // Undone in the reverse order of the translations (a hairpin's masquerade,
        // then its DNAT).
        var result = packet
        for (arriving, restored) in entries.reversed() where Self.sameFlow(arriving, result) {
            result.source = restored.source
            result.sourcePort = restored.sourcePort
            result.destination = restored.destination
            result.destinationPort = restored.destinationPort
        }
        guard result != packet else { return packet }
        hops.append(.init(.netfilter, namespace: namespace.description,
                          "\(name(namespace)) conntrack: the reply of a translated connection is translated back", packet: result,
                          details: ["\(packet) becomes \(result)"]))
        return result
    }

    static func sameFlow(_ a: TracedPacket, _ b: TracedPacket) -> Bool {
        a.source == b.source && a.destination == b.destination && a.protocol == b.protocol
            && (a.isEcho || (a.sourcePort == b.sourcePort && a.destinationPort == b.destinationPort))
    }

    // MARK: Links

    /// Out of `device` of `namespace`, toward `nextHop`.
    mutating func transmit(_ packet: TracedPacket, in namespace: NamespaceRef, device: String, nextHop: IPAddress) {
        guard let link = walker.link(Link.ID(namespace, device)) else {
            return drop("\(name(namespace)) has no device \(device)", packet, in: namespace)
        }
        switch link.kind {
        case .veth(let peerID):
            guard let peer = walker.link(peerID) else { return drop("\(device)'s peer \(peerID) does not exist", packet, in: namespace) }
            hops.append(.init(.veth, namespace: namespace.description,
                              "leaves \(name(namespace)) by \(device), a veth pair: out of \(peer.id.name) in \(name(peer.id.namespace))", packet: packet))
            if let bridge = peer.master {
                bridgeForward(packet, in: peer.id.namespace, bridge: bridge, from: peer.id.name, nextHop: nextHop)
            } else {
                arrive(packet, in: peer.id.namespace, device: peer.id.name)
            }
        case .bridge:
            bridgeForward(packet, in: namespace, bridge: device, from: nil, nextHop: nextHop)
        case .vxlan(let vxlan):
            encapsulateVXLAN(packet, in: namespace, link: link, vxlan: vxlan, nextHop: nextHop)
        case .ipip(let ipip):
            guard packet.family == .ipv4, case .v4(let remote) = nextHop,
                  let local = ipip.local.map(IPAddress.v4) ?? walker.address(of: link.id) else {
                return drop("\(device) is an IP-in-IP tunnel: it carries no IPv6 packet", packet, in: namespace)
            }
            let outer = TracedPacket(source: local, destination: .v4(remote), protocol: .ipip)
            hops.append(.init(.encapsulate, namespace: namespace.description,
                              "\(device) wraps it in IP-in-IP: an outer packet \(outer.source) → \(nextHop)", packet: packet))
            tunnel(packet, outer: outer, from: namespace, decapsulatedBy: { if case .ipip = $0.kind { return true } else { return false } })
        case .sit(let sit):
            // 6in4: the outer IPv4 destination is the one the next hop embeds
            // (`::192.168.64.5`, IPv4-compatible), the source the tunnel's local.
            guard packet.family == .ipv6, let remote = nextHop.ipv6.flatMap(Self.embeddedIPv4),
                  let local = sit.local.map(IPAddress.v4) ?? walker.address(of: link.id) else {
                return drop("\(device) is an IPv6-in-IPv4 (sit) tunnel: it carries IPv6 packets to IPv4-compatible next hops only", packet, in: namespace)
            }
            let outer = TracedPacket(source: local, destination: .v4(remote), protocol: .ipv6)
            hops.append(.init(.encapsulate, namespace: namespace.description,
                              "\(device) wraps it in IPv4 (6in4, protocol 41): an outer packet \(outer.source) → \(remote), the address \(nextHop) embeds",
                              packet: packet))
            tunnel(packet, outer: outer, from: namespace, decapsulatedBy: { if case .sit = $0.kind { return true } else { return false } })
        case .loopback:
            deliver(packet, in: namespace, local: true)
        case .dummy, .other:
            hops.append(.init(.leave, namespace: namespace.description,
                              "leaves \(name(namespace)) by \(device) toward \(nextHop): beyond this host", packet: packet))
            outcome = .left(device: device)
        }
    }

    /// A bridge's forwarding: up into its own stack when the next hop is the bridge's
    /// address, else out of the port whose far end holds it (through the IP hooks of
    /// the bridge's namespace first, with br_netfilter on).
    mutating func bridgeForward(_ packet: TracedPacket, in namespace: NamespaceRef, bridge: String, from port: String?, nextHop: IPAddress) {
        if walker.addresses(in: namespace).contains(where: { $0.link.name == bridge && $0.address.address == nextHop }) {
            hops.append(.init(.bridge, namespace: namespace.description,
                              "bridge \(bridge) of \(name(namespace)) takes it up: \(nextHop) is the bridge's own address", packet: packet))
            return arrive(packet, in: namespace, device: bridge)
        }
        let ports = walker.links(in: namespace).filter { $0.master == bridge && $0.id.name != port }
        for candidate in ports {
            guard case .veth(let peerID) = candidate.kind,
                  walker.addresses(in: peerID.namespace).contains(where: { $0.link == peerID && $0.address.address == nextHop }) else { continue }
            hops.append(.init(.bridge, namespace: namespace.description,
                              "bridge \(bridge) of \(name(namespace)) forwards it out of port \(candidate.id.name), whose far end holds \(nextHop)", packet: packet))
            var packet = packet
            if port != nil, walker.sysctl(PacketWalker.bridgedThroughHooksKey(packet.family), in: namespace) == "1" {
                // br_netfilter: bridged IP crosses the namespace's IP hooks, and its
                // conntrack: a reply bridged past a NAT is translated back here.
                packet = undoNAT(packet, in: namespace)
                guard let pre = hook(.prerouting, packet, in: namespace, outDevice: nil),
                      let forwarded = hook(.forward, pre, in: namespace, outDevice: bridge),
                      let post = hook(.postrouting, forwarded, in: namespace, outDevice: bridge) else { return }
                packet = post
            }
            hops.append(.init(.veth, namespace: namespace.description,
                              "crosses the veth pair \(candidate.id.name) → \(peerID.name) into \(name(peerID.namespace))", packet: packet))
            return arrive(packet, in: peerID.namespace, device: peerID.name)
        }
        if let vxlanPort = ports.first(where: { if case .vxlan = $0.kind { return true } else { return false } }),
           case .vxlan(let vxlan) = vxlanPort.kind {
            return floodVXLAN(packet, in: namespace, port: vxlanPort, vxlan: vxlan, nextHop: nextHop)
        }
        drop("no port of bridge \(bridge) in \(name(namespace)) leads to \(nextHop): the frame is flooded and nothing answers", packet, in: namespace)
    }

    /// Static VXLAN: the neighbour entry gives the next hop's MAC, the FDB entry the
    /// remote VTEP; the frame goes inside UDP to it.
    /// IPv6 goes the same way, inside the frames of the IPv4 underlay.
    mutating func encapsulateVXLAN(_ packet: TracedPacket, in namespace: NamespaceRef, link: Link, vxlan: VXLANDevice, nextHop: IPAddress) {
        guard let neighbour = walker.state.neighbours[Neighbour.ID(link: link.id, address: nextHop)] else {
            return drop("\(link.id.name) has no neighbour entry for \(nextHop)", packet, in: namespace)
        }
        guard let entry = walker.state.fdb.first(where: { $0.link == link.id && $0.mac == neighbour.mac }) else {
            return drop("\(link.id.name) has no FDB entry for \(neighbour.mac)", packet, in: namespace)
        }
        // The outer packet is of the VTEP's family: IPv4, or IPv6 on an IPv6-only underlay.
        let remote = entry.destination
        guard let local = vxlan.local ?? walker.address(of: Link.ID(namespace, vxlan.device ?? "eth0"), family: remote.family),
              local.family == remote.family else {
            return drop("\(link.id.name) has no local \(remote.family.name) address to send from", packet, in: namespace)
        }
        let outer = TracedPacket(source: local, destination: remote, protocol: .udp, sourcePort: 40000, destinationPort: UInt16(vxlan.port))
        hops.append(.init(.encapsulate, namespace: namespace.description,
                          "\(link.id.name) (VNI \(vxlan.vni)) wraps it in UDP \(vxlan.port): neighbour \(nextHop) is \(neighbour.mac), whose FDB entry says VTEP \(entry.destination)",
                          packet: packet, details: ["ip neigh: \(nextHop) lladdr \(neighbour.mac) dev \(link.id.name)",
                                                    "bridge fdb: \(neighbour.mac) dev \(link.id.name) dst \(entry.destination)"]))
        tunnel(packet, outer: outer, from: namespace, decapsulatedBy: { other in
            if case .vxlan(let device) = other.kind { return device.vni == vxlan.vni }
            return false
        })
    }

    /// Multicast VXLAN as a bridge port: the frame for an unknown MAC goes to the
    /// group, and the node whose bridge holds the next hop takes it.
    mutating func floodVXLAN(_ packet: TracedPacket, in namespace: NamespaceRef, port: Link, vxlan: VXLANDevice, nextHop: IPAddress) {
        for remote in walker.state.links.values where remote.id.namespace != namespace {
            guard case .vxlan(let device) = remote.kind, device.vni == vxlan.vni, let bridge = remote.master,
                  walker.links(in: remote.id.namespace).contains(where: { port in
                      guard port.master == bridge, case .veth(let peer) = port.kind else { return false }
                      return walker.addresses(in: peer.namespace).contains { $0.link == peer && $0.address.address == nextHop }
                  }) else { continue }
            hops.append(.init(.encapsulate, namespace: namespace.description,
                              "bridge port \(port.id.name) (VNI \(vxlan.vni)) sends it to multicast group \(vxlan.group.map(\.description) ?? "?"); \(name(remote.id.namespace)) learns and takes it",
                              packet: packet))
            hops.append(.init(.decapsulate, namespace: remote.id.namespace.description,
                              "\(remote.id.name) of \(name(remote.id.namespace)) unwraps it onto bridge \(bridge)", packet: packet))
            return bridgeForward(packet, in: remote.id.namespace, bridge: bridge, from: remote.id.name, nextHop: nextHop)
        }
        drop("no node's bridge holds \(nextHop) behind VNI \(vxlan.vni)", packet, in: namespace)
    }

    /// The outer packet's own walk over the underlay, to the namespace that holds its
    /// destination; there a device of the tunnel's kind unwraps the inner packet.
    mutating func tunnel(_ inner: TracedPacket, outer: TracedPacket, from namespace: NamespaceRef, decapsulatedBy isTunnel: (Link) -> Bool) {
        var outerWalk = Walk(walker: walker, choices: choices, established: false)
        outerWalk.budget = budget
        outerWalk.originate(outer, in: namespace)
        hops += outerWalk.hops.filter { $0.kind != .deliver }.map { hop in
            var hop = hop
            hop.text = "(outer) " + hop.text
            return hop
        }
        guard case .delivered(let name)? = outerWalk.outcome else {
            outcome = outerWalk.outcome
            return
        }
        let remote = PacketWalker.namespace(named: name)
        // The kernel hands the outer packet to the tunnel that matches it best: one
        // bound to the outer destination before a catch-all (the ipip module's own
        // tunl0, which every namespace gets).
        let candidates = walker.links(in: remote).filter(isTunnel).sorted { a, b in
            (Self.local(of: a) == outer.destination ? 0 : 1, a.id.name) < (Self.local(of: b) == outer.destination ? 0 : 1, b.id.name)
        }
        guard let device = candidates.first else {
            return drop("\(self.name(remote)) has no tunnel device to unwrap it", inner, in: remote)
        }
        hops.append(.init(.decapsulate, namespace: remote.description,
                          "\(device.id.name) of \(self.name(remote)) unwraps the inner packet", packet: inner))
        arrive(inner, in: remote, device: device.id.name)
    }

    /// The local address a tunnel device is bound to, if any.
    static func local(of link: Link) -> IPAddress? {
        switch link.kind {
        case .ipip(let device): device.local.map(IPAddress.v4)
        case .sit(let device): device.local.map(IPAddress.v4)
        case .vxlan(let device): device.local
        default: nil
        }
    }

    /// The IPv4 address an IPv4-compatible IPv6 address (`::192.168.64.5`) embeds.
    static func embeddedIPv4(_ address: IPv6Address) -> IPv4Address? {
        guard address.high == 0, address.low >> 32 == 0, address.low > 1 else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: address.low))
    }

    // MARK: Words

    mutating func drop(_ reason: String, _ packet: TracedPacket, in namespace: NamespaceRef) {
        hops.append(.init(.drop, namespace: namespace.description, reason, packet: packet))
        outcome = .dropped(reason: reason)
    }

    mutating func spend(in namespace: NamespaceRef, _ packet: TracedPacket) -> Bool {
        budget -= 1
        guard budget > 0 else {
            drop("the packet loops (more than 64 hops)", packet, in: namespace)
            return false
        }
        return true
    }

    /// `pod a0`, `node node-0`, `the underlay`, from the namespace's mark.
    func name(_ namespace: NamespaceRef) -> String {
        guard case .named(let name) = namespace, let mark = walker.state.namespaces[name]?.mark else { return namespace == .current ? "this host" : namespace.description }
        let parts = mark.role.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return mark.role == "underlay" ? "the underlay" : mark.role }
        return "\(parts[0]) \(parts[1].split(separator: "@").first.map(String.init) ?? parts[1])"
    }
}
