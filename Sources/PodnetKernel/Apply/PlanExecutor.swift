import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// Runs a plan against the kernel: layer by layer (PlanOrder), each layer's
/// netlink work as one pipelined batch per namespace. Stops at the first error,
/// naming the operation and the kernel's message. Owns one netlink connection per
/// namespace, opened inside it by a touring thread; the caller's thread never
/// changes namespace.
public final class PlanExecutor {
    let directory: NetnsDirectory
    var handles: [String: NetnsHandle] = [:]
    var connections: [String: NetlinkConnection] = [:]
    var indexes: [String: [String: Int32]] = [:]
    /// The next ifindex this executor gives in each namespace, above every one it saw.
    var nextIndex: [String: Int32] = [:]
    /// Netfilter-bus connections, for nf_tables transactions.
    var netfilter: [String: NetlinkConnection] = [:]
    /// IPVS drivers (generic netlink sockets), for ipvs proxy mode.
    var ipvs: [String: IPVSDriver] = [:]
    /// nf_tables: per table, the ruleset generation its changes were planned at, and
    /// the record of what they leave (`NFTablesCommit`).
    public var nftCommits: [NFTable.ID: NFTablesCommit] = [:]
    public var nftRecordStore = NFTablesRecordStore()
    /// Called after each layer with (operations done, operations in the plan).
    public var progress: (Int, Int) -> Void = { _, _ in }

    public init(directory: NetnsDirectory = NetnsDirectory()) { self.directory = directory }

    public func execute(_ plan: Plan) throws(ApplyError) {
        var done = 0
        for layer in PlanOrder.layers(of: plan) {
            try run(layer)
            done += layer.count
            progress(done, plan.operations.count)
        }
    }

    private func run(_ layer: [PlannedOperation]) throws(ApplyError) {
        var netlink: [PlannedOperation] = []
        var sysctls: [Sysctl] = []
        var tableChanges: [NFTablesChange] = []
        var iptables: [(IPTablesChange, IPTablesScope)] = []
        var ipvsChanges: [IPVSChange] = []
        var newNamespaces: [(name: NetnsName, planned: PlannedOperation)] = []
        for planned in layer {
            switch planned.operation {
            case .addNamespace(let namespace):
                try attempt(planned) {
                    let name = try NetnsName(namespace.name)
                    // A file left by a crash mid-creation holds nothing: replace it.
                    if directory.isStale(name) { try directory.delete(name) }
                    newNamespaces.append((name, planned))
                }
            case .deleteNamespace(let name):
                // A socket keeps its namespace alive: close ours before deleting.
                connections[name] = nil
                netfilter[name] = nil
                ipvs[name] = nil
                handles[name] = nil
                indexes[name] = nil
                try attempt(planned) {
                    do { try directory.delete(try NetnsName(name)) } catch NetnsError.notFound {}
                }
            case .setSysctl(let sysctl):
                sysctls.append(sysctl)
            case .nftables(let change):
                tableChanges.append(change)
            case .iptables(let change, let namespace, let family):
                iptables.append((change, IPTablesScope(namespace: namespace, family: family)))
            case .ipvs(let change):
                ipvsChanges.append(change)
            default:
                netlink.append(planned)
            }
        }
        if !newNamespaces.isEmpty { try addNamespaces(newNamespaces) }
        if !sysctls.isEmpty { try writeSysctls(sysctls) }
        if !tableChanges.isEmpty { try applyTableChanges(tableChanges) }
        if !iptables.isEmpty { try applyIPTables(iptables) }
        if !ipvsChanges.isEmpty { try applyIPVS(ipvsChanges) }
        guard !netlink.isEmpty else { return }
        try send(netlink, requests: requests(for:))
        // Links created in this layer are configured now that they have indexes:
        // the kernel ignores an alias at creation, and a veth peer cannot be born up.
        let created = netlink.filter { if case .addLink = $0.operation { return true } else { return false } }
        if !created.isEmpty {
            for planned in created { invalidateIndexes(for: planned.operation) }
            try send(created, requests: configurationRequests(for:))
        }
    }

    /// Namespace creation threads, one per processor. Making a namespace is the
    /// kernel's work (its loopback, sysctl tables and proc entries, the mount point's
    /// file, the bind mount), much of it outside the rtnl lock.
    static let creationThreads = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 4))

    private func addNamespaces(_ namespaces: [(name: NetnsName, planned: PlannedOperation)]) throws(ApplyError) {
        do throws(NetnsCreationFailure) {
            try directory.add(namespaces.map(\.name), threads: Self.creationThreads)
        } catch {
            let planned = namespaces[error.index].planned
            throw ApplyError(operation: CommandRenderer.commands(for: planned.operation).first ?? planned.operation.subject,
                             reason: "\(error)")
        }
    }

    // MARK: Netlink batches

    private typealias Request = (namespace: String, request: NetlinkRequest)

    /// Sends the requests of `operations`, one pipelined batch per namespace.
    private func send(_ operations: [PlannedOperation],
                      requests: (Operation) throws(ApplyError) -> [Request]) throws(ApplyError) {
        var byNamespace: [String: [(request: NetlinkRequest, planned: PlannedOperation)]] = [:]
        var order: [String] = []
        for planned in operations {
            for (namespace, request) in try requests(planned.operation) {
                if byNamespace[namespace] == nil { order.append(namespace) }
                byNamespace[namespace, default: []].append((request, planned))
            }
        }
        try openConnections(order)
        for namespace in order {
            let items = byNamespace[namespace]!
            let result: BatchResult
            do {
                result = try connections[namespace]!.executeBatch(items.map(\.request))
            } catch {
                throw ApplyError(operation: "talking to the kernel in \(namespace)", reason: "\(error)")
            }
            if let failure = result.firstFailure {
                let planned = items[failure.index].planned
                throw ApplyError(operation: CommandRenderer.commands(for: planned.operation).first ?? planned.operation.subject,
                                 reason: "\(failure.error)")
            }
        }
    }

    private func requests(for operation: Operation) throws(ApplyError) -> [Request] {
        switch operation {
        case .addLink(let link, let peer):
            let namespace = try name(of: link.id.namespace)
            let peerHandle = try peer.map { peer throws(ApplyError) in try handle(try name(of: peer.id.namespace)) }
            let message = WireMessages.creation(of: link, peer: peer, peerNamespace: peerHandle, indexes: try indexMap(namespace),
                                                ifindexes: try vethIndexes(link, peer: peer))
            return [(namespace, .addLink(message))]
        case .setLink(let link, let current):
            return try configurationRequests(for: link, current: current)
        case .deleteLink(let id):
            return [(try name(of: id.namespace), .deleteLink(name: id.name))]
        case .addAddress(let address):
            let namespace = try name(of: address.link.namespace)
            return [(namespace, .addAddress(WireMessages.address(address, index: try index(of: address.link.name, in: namespace))))]
        case .deleteAddress(let address):
            let namespace = try name(of: address.link.namespace)
            return [(namespace, .deleteAddress(AddressMessage(index: try index(of: address.link.name, in: namespace), prefix: address.address)))]
        case .addRoute(let route), .replaceRoute(let route):
            let namespace = try name(of: route.id.namespace)
            let mode: CreationMode = if case .replaceRoute = operation { .replace } else { .exclusive }
            return [(namespace, .addRoute(WireMessages.route(route, indexes: try indexMap(namespace)), mode: mode))]
        case .deleteRoute(let route):
            return [(try name(of: route.id.namespace), .deleteRoute(WireMessages.routeDeletion(route)))]
        case .addNeighbour(let neighbour), .replaceNeighbour(let neighbour):
            let namespace = try name(of: neighbour.id.link.namespace)
            let index = try index(of: neighbour.id.link.name, in: namespace)
            let mode: CreationMode = if case .addNeighbour = operation { .exclusive } else { .replace }
            return [(namespace, .addNeighbour(.permanent(neighbour.id.address, at: neighbour.mac, onLink: index), mode: mode))]
        case .deleteNeighbour(let neighbour):
            let namespace = try name(of: neighbour.id.link.namespace)
            let index = try index(of: neighbour.id.link.name, in: namespace)
            return [(namespace, .deleteNeighbour(.permanent(neighbour.id.address, at: neighbour.mac, onLink: index)))]
        case .addFDB(let entry):
            let namespace = try name(of: entry.link.namespace)
            let index = try index(of: entry.link.name, in: namespace)
            return [(namespace, .addNeighbour(.forwardingEntry(entry.mac, remote: entry.destination, onLink: index), mode: .append))]
        case .deleteFDB(let entry):
            let namespace = try name(of: entry.link.namespace)
            let index = try index(of: entry.link.name, in: namespace)
            return [(namespace, .deleteNeighbour(.forwardingEntry(entry.mac, remote: entry.destination, onLink: index)))]
        case .addNamespace, .deleteNamespace, .setSysctl, .nftables, .iptables, .ipvs:
            return []
        }
    }

    /// After creation: flags, MTU, master, alias, hairpin and alternative names of
    /// the new link and of its veth peer.
    private func configurationRequests(for operation: Operation) throws(ApplyError) -> [Request] {
        guard case .addLink(let link, let peer) = operation else { return [] }
        var requests = try configurationRequests(for: link, current: nil)
        if let peer { requests += try configurationRequests(for: peer, current: nil) }
        return requests
    }

    private func configurationRequests(for link: Link, current: Link?) throws(ApplyError) -> [Request] {
        let namespace = try name(of: link.id.namespace)
        let map = try indexMap(namespace)
        guard let index = map[link.id.name] else {
            throw ApplyError(operation: "configure \(link.id.name) in \(namespace)", reason: "the link does not exist")
        }
        var requests: [Request] = [(namespace, .setLink(WireMessages.configuration(of: link, index: index, indexes: map)))]
        if let hairpin = link.hairpin, current?.hairpin != hairpin {
            requests.append((namespace, .setBridgePortHairpin(linkIndex: index, enabled: hairpin)))
        }
        for alternative in link.alternativeNames where !(current?.alternativeNames.contains(alternative) ?? false) {
            requests.append((namespace, .addAlternativeName(alternative, toLink: index)))
        }
        return requests
    }

    // MARK: Namespaces, connections and indexes

    /// The key of a namespace in this executor's tables: its name, or "" for the
    /// current namespace (host mode), which needs no handle: the caller is in it.
    func name(of namespace: NamespaceRef) throws(ApplyError) -> String {
        switch namespace {
        case .current: return Self.current
        case .named(let name): return name
        }
    }

    static let current = ""

    func key(of namespace: NamespaceRef) -> String {
        if case .named(let name) = namespace { return name }
        return Self.current
    }

    func handle(_ name: String) throws(ApplyError) -> NetnsHandle {
        if let handle = handles[name] { return handle }
        do {
            let handle = try directory.open(try NetnsName(name))
            handles[name] = handle
            return handle
        } catch {
            throw ApplyError(operation: "open namespace \(name)", reason: "\(error)")
        }
    }

    private func openConnections(_ names: [String]) throws(ApplyError) {
        var missing = names.filter { connections[$0] == nil }
        if missing.contains(Self.current) {
            // Opened on the caller's thread, hence in the current namespace.
            do {
                connections[Self.current] = NetlinkConnection(socket: try KernelNetlinkSocket())
            } catch {
                throw ApplyError(operation: "open a netlink socket", reason: "\(error)")
            }
            missing.removeAll { $0 == Self.current }
        }
        guard !missing.isEmpty else { return }
        var tour: [NetnsHandle] = []
        for name in missing { tour.append(try handle(name)) }
        do {
            for (name, socket) in zip(missing, try NamespaceSockets.open(in: tour)) {
                connections[name] = NetlinkConnection(socket: socket)
            }
        } catch {
            throw ApplyError(operation: "open netlink sockets", reason: "\(error)")
        }
    }

    private func indexMap(_ namespace: String) throws(ApplyError) -> [String: Int32] {
        if let map = indexes[namespace] { return map }
        try openConnections([namespace])
        do {
            let links = try connections[namespace]!.links()
            let map = Dictionary(links.compactMap { link in link.name.map { ($0, link.index) } }, uniquingKeysWith: { a, _ in a })
            indexes[namespace] = map
            return map
        } catch {
            throw ApplyError(operation: "list links in \(namespace)", reason: "\(error)")
        }
    }

    private func index(of link: String, in namespace: String) throws(ApplyError) -> Int32 {
        if let index = try indexMap(namespace)[link] { return index }
        throw ApplyError(operation: "find \(link) in \(namespace)", reason: "no such link")
    }

    /// The ifindexes for a new veth's two ends. Left to itself, the kernel numbers
    /// each namespace from 1, and the two ends of a pair often get the same number (an
    /// underlay port 4, the node's eth0 4). The kernel's link watch then takes the
    /// pair for a device whose link is itself, handles its carrier as not urgent, and
    /// the pair stays unusable for up to a second (found measuring when a new pod can
    /// first be pinged). So the ends get numbers of podnet's choosing, above every
    /// number in use in their namespaces, and never equal. Every veth gets both (the
    /// kernel honours the far end's number only when the near end's is given too),
    /// and every other new link its own as well: a number the kernel chose for a
    /// dummy or bridge in the same batch could take one podnet gave a veth (EBUSY,
    /// found in the full-kernel lane with kube-ipvs0).
    private func vethIndexes(_ link: Link, peer: Link?) throws(ApplyError) -> (link: Int32, peer: Int32) {
        guard case .veth = link.kind, let peer else {
            return (try allocateIndex(in: try name(of: link.id.namespace)), 0)
        }
        let near = try allocateIndex(in: try name(of: link.id.namespace))
        var far = try allocateIndex(in: try name(of: peer.id.namespace))
        if far == near { far = try allocateIndex(in: try name(of: peer.id.namespace)) }
        return (near, far)
    }

    private func allocateIndex(in namespace: String) throws(ApplyError) -> Int32 {
        // The namespace's links as the kernel has them now (a bridge made in an earlier
        // layer has taken a number), and what this executor gave out since.
        let known = try indexMap(namespace).values.max() ?? 1
        let index = max(nextIndex[namespace] ?? 0, known + 1)
        nextIndex[namespace] = index + 1
        return index
    }

    private func invalidateIndexes(for operation: Operation) {
        guard case .addLink(let link, let peer) = operation else { return }
        indexes[key(of: link.id.namespace)] = nil
        if let peer { indexes[key(of: peer.id.namespace)] = nil }
    }

    func attempt(_ planned: PlannedOperation, _ body: () throws -> Void) throws(ApplyError) {
        do {
            try body()
        } catch {
            throw ApplyError(operation: CommandRenderer.commands(for: planned.operation).first ?? planned.operation.subject, reason: "\(error)")
        }
    }
}
