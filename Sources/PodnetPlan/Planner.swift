import PodnetKernelModel

/// Diffs the desired state against the live one into an ordered plan.
///
/// Ownership: live links are podnet's when their alias carries this cluster's
/// mark; addresses, neighbours and FDB entries when their link is; routes in a
/// namespace podnet owns unless the kernel made them (`proto kernel`), and in the
/// current namespace (host mode) only with podnet's route protocol. Everything
/// else is left alone, and is an error only when it is in the way.
public struct Planner: Sendable {
    public let cluster: String

    public init(cluster: String) { self.cluster = cluster }

    static let kernelRouteProtocol: UInt8 = 2

    public func plan(desired: KernelState, live: KernelState) throws(PlanError) -> Plan {
        let live = adoptingInterruptedLinks(desired: desired, live: live)
        try checkConflicts(desired: desired, live: live)
        var operations: [PlannedOperation] = []

        // Namespaces.
        let deletedNamespaces = Set(live.namespaces.keys).subtracting(desired.namespaces.keys)
        for name in deletedNamespaces.sorted() {
            operations.append(.init(.deleteNamespace(name), reason: "not in the topology"))
        }
        for name in Set(desired.namespaces.keys).subtracting(live.namespaces.keys).sorted() {
            // An empty unmarked namespace (an apply killed before marking it) is adopted:
            // its lo gets the mark below, like a new namespace's.
            guard !live.emptyUnmarkedNamespaces.contains(name) else { continue }
            operations.append(.init(.addNamespace(desired.namespaces[name]!), reason: "missing"))
        }
        let gone: (NamespaceRef) -> Bool = { namespace in
            if case .named(let name) = namespace { return deletedNamespaces.contains(name) || live.namespaces.index(forKey: name) == nil }
            return false
        }

        // Links. A link is gone with its namespace, and a veth end with its peer.
        var removedLinks: Set<Link.ID> = []
        // Each loop below sorts only the objects it acts on (for a plan in a stable
        // order), not every object: most are unchanged, and sorting thousands of them
        // was a tenth of a no-op apply.
        let unwantedLive = live.links.values.filter { isOwned($0) && desired.links.index(forKey: $0.id) == nil }
        for link in unwantedLive.sorted(by: { $0.id < $1.id }) {
            if gone(link.id.namespace) { removedLinks.insert(link.id); continue }
            if case .veth(let peer) = link.kind, removedLinks.contains(peer) || gone(peer.namespace) {
                removedLinks.insert(link.id)
                continue
            }
            if case .loopback = link.kind { continue }
            removedLinks.insert(link.id)
            if case .veth(let peer) = link.kind { removedLinks.insert(peer) }
            operations.append(.init(.deleteLink(link.id), reason: "not in the topology"))
        }
        var createdPairs: Set<Link.ID> = []
        var kept: [(link: Link, current: Link)] = []
        // A link present with its kind is kept whatever order it is met in (a veth end
        // whose peer is re-made below is re-made with it, and skipped by the update loop).
        var toMake: [Link] = []
        for link in desired.links.values {
            let current = gone(link.id.namespace) ? nil : live.links[link.id]
            if let current, !removedLinks.contains(link.id), current.kind == link.kind {
                kept.append((link, current))
            } else {
                toMake.append(link)
            }
        }
        for link in toMake.sorted(by: { $0.id < $1.id }) {
            let current = gone(link.id.namespace) ? nil : live.links[link.id]
            guard let current, !removedLinks.contains(link.id) else {
                if case .loopback = link.kind {
                    operations.append(.init(.setLink(link, current: nil), reason: "new namespace"))
                } else {
                    addLink(link, desired: desired, live: live, removed: &removedLinks, created: &createdPairs, into: &operations, reason: "missing")
                }
                continue
            }
            if current.kind != link.kind {
                operations.append(.init(.deleteLink(current.id), reason: "kind \(describe(current.kind)) → \(describe(link.kind)) cannot change in place"))
                removedLinks.insert(current.id)
                if case .veth(let peer) = current.kind { removedLinks.insert(peer) }
                addLink(link, desired: desired, live: live, removed: &removedLinks, created: &createdPairs, into: &operations,
                        reason: "replaces the \(describe(current.kind))")
            }
        }
        // Updates come after every decision to delete, since deleting a bridge
        // releases its ports: a kept port of a re-created bridge needs its master again.
        var updates: [(link: Link, current: Link, changes: [String])] = []
        for (link, current) in kept where !removedLinks.contains(link.id) {
            var current = current
            if let master = current.master, removedLinks.contains(Link.ID(current.id.namespace, master)) { current.master = nil }
            let changes = Self.changes(from: current, to: link)
            if !changes.isEmpty { updates.append((link, current, changes)) }
        }
        for update in updates.sorted(by: { $0.link.id < $1.link.id }) {
            operations.append(.init(.setLink(update.link, current: update.current), reason: update.changes.joined(separator: ", ")))
        }
        let linkSurvives: (Link.ID) -> Bool = { id in
            // index(forKey:), not live.links[id]: no copy of the whole Link to test for nil.
            !gone(id.namespace) && !removedLinks.contains(id) && live.links.index(forKey: id) != nil
        }
        let linkIsOwned: (Link.ID) -> Bool = { id in live.links[id].map(isOwned) ?? false }

        // Addresses.
        let liveAddresses = live.addresses.filter { linkSurvives($0.link) && linkIsOwned($0.link) }
        for address in liveAddresses.subtracting(desired.addresses).sorted() {
            operations.append(.init(.deleteAddress(address), reason: "not in the topology"))
        }
        for address in desired.addresses.subtracting(liveAddresses).sorted() {
            operations.append(.init(.addAddress(address), reason: "missing"))
        }

        // Routes: the kernel drops a route with its device, and with the address
        // whose prefix made its gateway reachable. Such a route is re-planned as a
        // replacement, right whether or not another address kept it alive.
        let deletedAddresses = liveAddresses.subtracting(desired.addresses)
        let mayLoseGateway: (Route) -> Bool = { route in
            guard let gateway = route.gateway, let device = route.device, !route.onlink else { return false }
            let link = Link.ID(route.id.namespace, device)
            return deletedAddresses.contains { $0.link == link && $0.address.network.contains(gateway) }
        }
        // A live route counts when podnet owns it and it outlives this plan's deletions.
        // Looked up in place (no filtered copy of every live route, no second table).
        let survivingRoute: (Route.ID) -> Route? = { id in
            guard let route = live.routes[id], isOwned(route), !gone(id.namespace) else { return nil }
            return route.device.map { linkSurvives(Link.ID(id.namespace, $0)) } ?? true ? route : nil
        }
        let unwantedRoutes = live.routes.keys.filter { desired.routes.index(forKey: $0) == nil }.compactMap(survivingRoute)
        for route in unwantedRoutes.sorted(by: { $0.id < $1.id }) {
            operations.append(.init(.deleteRoute(route), reason: "not in the topology"))
        }
        let routesToWrite = desired.routes.values.filter { route in
            survivingRoute(route.id).map { current in mayLoseGateway(current) || current != route } ?? true
        }
        for route in routesToWrite.sorted(by: { $0.id < $1.id }) {
            let current = survivingRoute(route.id)
            if let current, mayLoseGateway(current) {
                operations.append(.init(.replaceRoute(route), reason: "its gateway's address is replaced"))
                continue
            }
            guard let current else {
                operations.append(.init(.addRoute(route), reason: "missing"))
                continue
            }
            if current != route {
                operations.append(.init(.replaceRoute(route), reason: Self.routeChanges(from: current, to: route)))
            }
        }

        // Neighbours and FDB entries live on their link.
        let liveNeighbours = live.neighbours.values.filter { linkSurvives($0.id.link) && linkIsOwned($0.id.link) }
        let liveNeighboursByID = Dictionary(liveNeighbours.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for neighbour in liveNeighbours.filter({ desired.neighbours[$0.id] == nil }).sorted(by: { $0.id < $1.id }) {
            operations.append(.init(.deleteNeighbour(neighbour), reason: "not in the topology"))
        }
        for neighbour in desired.neighbours.values.filter({ liveNeighboursByID[$0.id] != $0 }).sorted(by: { $0.id < $1.id }) {
            if let current = liveNeighboursByID[neighbour.id] {
                operations.append(.init(.replaceNeighbour(neighbour), reason: "lladdr \(current.mac) → \(neighbour.mac)"))
            } else {
                operations.append(.init(.addNeighbour(neighbour), reason: "missing"))
            }
        }
        let liveFDB = live.fdb.filter { linkSurvives($0.link) && linkIsOwned($0.link) }
        for entry in liveFDB.subtracting(desired.fdb).sorted() {
            operations.append(.init(.deleteFDB(entry), reason: "not in the topology"))
        }
        for entry in desired.fdb.subtracting(liveFDB).sorted() {
            operations.append(.init(.addFDB(entry), reason: "missing"))
        }

        // Sysctls are set, never removed.
        for sysctl in desired.sysctls.values.sorted(by: { $0.id < $1.id }) {
            // An interface's own sysctl goes with the interface.
            let lost = gone(sysctl.id.namespace) || sysctl.interface.map { !linkSurvives(Link.ID(sysctl.id.namespace, $0)) } ?? false
            let current = lost ? nil : live.sysctls[sysctl.id]
            if current?.value != sysctl.value {
                operations.append(.init(.setSysctl(sysctl), reason: current.map { "\($0.value) → \(sysctl.value)" } ?? "missing"))
            }
        }
        planTables(desired: desired, live: live, gone: gone, into: &operations)
        planIPTables(desired: desired, live: live, gone: gone, into: &operations)
        planIPVS(desired: desired, live: live, gone: gone, into: &operations)
        return Plan(operations: PlanOrder.sorted(operations))
    }

    /// An apply killed between creating a link and marking it (the kernel takes no
    /// alias at creation: podnet sets it in a second request) leaves a link without any
    /// alias in a namespace this cluster owns, with the very name and kind the file
    /// wants there. Nobody else makes links inside podnet's namespaces under podnet's
    /// names, so such a link is taken as podnet's: marked as an interrupted one, which
    /// the plan then configures (or re-makes, a veth whose pairing cannot be read
    /// without marks) like any link that differs. Host mode's own namespace (.current)
    /// is never podnet's to assume this of.
    ///
    /// Only what an interrupted apply can leave: a veth end (its peer where the file
    /// wants it, which the reader cannot pair without marks: the pairing is taken as the
    /// file's), or another link with nothing on it yet (no address, no port), since an
    /// apply addresses and enslaves only marked links. A link in use is someone's.
    func adoptingInterruptedLinks(desired: KernelState, live: KernelState) -> KernelState {
        var adopted = live
        let unmarked = live.links.values.filter { $0.mark == nil }
        guard !unmarked.isEmpty else { return live }
        for link in unmarked {
            let id = link.id
            guard case .named(let name) = id.namespace, live.namespaces[name] != nil,
                  let wanted = desired.links[id], wanted.kind.kernelName == link.kind.kernelName else { continue }
            if case .veth(let peer) = wanted.kind {
                guard live.links[peer] != nil else { continue }
                adopted.links[id]?.kind = wanted.kind
                // The marked end could not be paired either: it pairs with this one.
                if let peerKind = desired.links[peer]?.kind { adopted.links[peer]?.kind = peerKind }
            } else {
                let inUse = live.addresses.contains { $0.link == id }
                    || live.links.values.contains { $0.id.namespace == id.namespace && $0.master == id.name }
                guard !inUse else { continue }
            }
            adopted.links[id]?.mark = OwnershipMark(cluster: cluster, role: Self.interruptedRole)
        }
        return adopted
    }

    /// The role an adopted link carries until the plan marks it properly.
    static let interruptedRole = "interrupted-apply"

    /// Live objects podnet must not touch, where the desired state wants their place.
    private func checkConflicts(desired: KernelState, live: KernelState) throws(PlanError) {
        // Filtered before sorted: nearly always nothing conflicts, and sorting every
        // desired link and route only to find that took a millisecond of each apply.
        var conflicts: [String] = []
        for name in desired.namespaces.keys.filter(live.unownedNamespaces.contains).sorted() {
            conflicts.append("namespace \(name) exists but is not podnet's (its lo carries no 'podnet:\(cluster):' alias); delete it with 'ip netns del \(name)' or rename the cluster")
        }
        let linksInTheWay = desired.links.values.filter { link in
            guard let current = live.links[link.id], !isOwned(current) else { return false }
            if case .loopback = link.kind { return false }
            return true
        }
        for link in linksInTheWay.sorted(by: { $0.id < $1.id }) {
            let current = live.links[link.id]!
            let owner = current.mark.map { "it belongs to podnet cluster '\($0.cluster)'" } ?? "it carries no podnet alias"
            conflicts.append("link \(link.id.name) in \(link.id.namespace) exists but is not this cluster's (\(owner)); delete it with 'ip \(link.id.namespace.ipOption)link del \(link.id.name)'")
        }
        let routesInTheWay = desired.routes.values.filter { route in live.routes[route.id].map { !isOwned($0) } ?? false }
        for route in routesInTheWay.sorted(by: { $0.id < $1.id }) {
            let current = live.routes[route.id]!
            conflicts.append("route \(route.id.destination) in \(route.id.namespace) exists but is not podnet's (proto \(current.protocol)); delete it with 'ip \(route.id.namespace.ipOption)route del \(route.id.destination)'")
        }
        for id in desired.ipvsServices.keys.filter(live.foreignIPVSServices.contains).sorted() {
            let option = id.protocol == .tcp ? "-t" : "-u"
            conflicts.append("IPVS service \(id) in \(id.namespace) exists but is not podnet's (its address is held by a device podnet does not own, kube-proxy's kube-ipvs0 perhaps); delete it with '\(id.namespace.execPrefix)ipvsadm -D \(option) \(id.address):\(id.port)' or choose another serviceCIDR")
        }
        if !conflicts.isEmpty { throw PlanError(conflicts: conflicts) }
    }

    func isOwned(_ link: Link) -> Bool { link.mark?.isOwned(by: cluster) ?? false }

    func isOwned(_ route: Route) -> Bool {
        switch route.id.namespace {
        case .current: return route.protocol == Route.protocolPodnet
        case .named: return route.protocol != Self.kernelRouteProtocol
        }
    }

    /// Adds a link; a veth pair once, from the end that is a bridge port (or the
    /// first), its peer born in the peer's namespace.
    private func addLink(_ link: Link, desired: KernelState, live: KernelState, removed: inout Set<Link.ID>,
                         created: inout Set<Link.ID>, into operations: inout [PlannedOperation], reason: String) {
        guard case .veth(let peerID) = link.kind else {
            operations.append(.init(.addLink(link, peer: nil), reason: reason))
            return
        }
        guard !created.contains(link.id) else { return }
        let peer = desired.links[peerID]
        if let stale = live.links[peerID], isOwned(stale), !removed.contains(peerID),
           case .named(let name) = peerID.namespace, live.namespaces[name] != nil {
            // The peer exists alone (or paired elsewhere): a veth end cannot be re-paired.
            operations.append(.init(.deleteLink(peerID), reason: "re-paired with \(link.id.name)"))
            removed.insert(peerID)
        }
        created.insert(link.id)
        created.insert(peerID)
        let primaryIsLink = link.master != nil || peer?.master == nil && link.id < peerID
        if let peer, !primaryIsLink {
            operations.append(.init(.addLink(peer, peer: link), reason: reason))
        } else {
            operations.append(.init(.addLink(link, peer: peer), reason: reason))
        }
    }

    static func changes(from current: Link, to desired: Link) -> [String] {
        var changes: [String] = []
        if current.up != desired.up { changes.append(desired.up ? "down → up" : "up → down") }
        if let mtu = desired.mtu, current.mtu != mtu { changes.append("mtu \(current.mtu.map(String.init) ?? "?") → \(mtu)") }
        if current.master != desired.master { changes.append("master \(current.master ?? "none") → \(desired.master ?? "none")") }
        if let mac = desired.mac, current.mac != mac { changes.append("address \(current.mac?.description ?? "?") → \(mac)") }
        if let hairpin = desired.hairpin, current.hairpin != hairpin { changes.append("hairpin \(hairpin ? "off → on" : "on → off")") }
        if current.mark != desired.mark { changes.append("alias \(current.mark?.alias ?? "none") → \(desired.mark?.alias ?? "none")") }
        let missingNames = Set(desired.alternativeNames).subtracting(current.alternativeNames)
        if !missingNames.isEmpty { changes.append("altname \(missingNames.sorted().joined(separator: ", ")) missing") }
        return changes
    }

    static func routeChanges(from current: Route, to desired: Route) -> String {
        var changes: [String] = []
        if current.gateway != desired.gateway {
            changes.append("via \(current.gateway?.description ?? "none") → \(desired.gateway?.description ?? "none")")
        }
        if current.device != desired.device { changes.append("dev \(current.device ?? "none") → \(desired.device ?? "none")") }
        if current.onlink != desired.onlink { changes.append(desired.onlink ? "onlink added" : "onlink removed") }
        if current.protocol != desired.protocol { changes.append("proto \(current.protocol) → \(desired.protocol)") }
        return changes.joined(separator: ", ")
    }

    private func describe(_ kind: LinkKind) -> String { kind.kernelName }
}
