import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetNetlink

/// Reads a cluster's live state: its namespaces (found by name and by the mark on
/// their `lo`), and in each, one dump per object type. Sockets are opened inside
/// each namespace by one touring thread; the dumps then run from the caller.
public struct LiveStateReader: Sendable {
    public var directory: NetnsDirectory

    /// Which sysctls to look up, and where. The render sets none in pods' namespaces,
    /// so only node namespaces (and the current one in host mode) are asked.
    public enum SysctlLookup: Sendable {
        /// The same keys in every node namespace (`show`, `destroy`: no file to render).
        case everyNode([String])
        /// The keys of each namespace, by name ("" for the current one): exactly what
        /// the render sets there, so that no node looks up another node's bridge keys.
        case byNamespace([String: [String]])
    }

    public var sysctls: SysctlLookup

    /// The cluster's `serviceCIDR`, when known (from the file): IPVS services on it are
    /// podnet's unless another owner's device holds their address. Without it
    /// (`--cluster NAME`), and beside it (after the CIDR changed), those on an address
    /// of the cluster's own `kube-ipvs0` are (IPVSOwnership).
    public var serviceCIDR: IPv4Prefix?
    /// The IPv6 `serviceCIDR` of a dual-stack file, likewise.
    public var serviceCIDRv6: IPv6Prefix?

    /// Both, as IPVSOwnership takes them.
    var serviceCIDRs: [IPPrefix] { [serviceCIDR.map(IPPrefix.v4), serviceCIDRv6.map(IPPrefix.v6)].compactMap { $0 } }

    /// Where the cluster's IPVS NodePorts may be (IPVSOwnership): the range from the
    /// file, and in host mode the node's address.
    public var ipvsNodePorts = IPVSOwnership.NodePorts()

    /// Records of podnet's nftables tables, and the layout each family's table must
    /// have to stand for it (`NFTablesProxyRecord`): a table whose record is good is
    /// not read. A family without a layout is read whole.
    public struct NFTablesRecords: Sendable {
        public var layouts: [NFTFamily: String]
        public var store: NFTablesRecordStore

        public init(layouts: [NFTFamily: String], store: NFTablesRecordStore = NFTablesRecordStore()) {
            self.layouts = layouts
            self.store = store
        }
    }

    /// nil: every table is read whole (`show`, `destroy`, tests of the reader).
    public var nftRecords: NFTablesRecords?

    /// Where IPv6 routes are read (addresses of both families are read everywhere).
    public enum IPv6Routes: Sendable {
        /// In every namespace: the file has IPv6 (a pod's IPv6 address deleted by
        /// hand must not hide the default route that is still there), and `show`.
        case everywhere
        /// Only where podnet can have made one: beside an IPv6 address other than the
        /// kernel's own (::1, fe80::), or on a VXLAN device (a bridge-less node's
        /// static VXLAN routes have no IPv6 address beside them). For an IPv4-only
        /// file: its pods are read as before IPv6 existed, and a cluster it turns
        /// back from dual stack still shows its IPv6 routes (podnet deletes routes
        /// before addresses). Reading both families in every pod made the no-op apply
        /// of 221 IPv4-only namespaces 8% slower (27–28 ms against 25 ms).
        case whereIPv6IsConfigured
    }

    public var ipv6Routes = IPv6Routes.everywhere

    public init(directory: NetnsDirectory = NetnsDirectory(), sysctls: SysctlLookup = .everyNode(["net.ipv4.ip_forward"]),
                serviceCIDR: IPv4Prefix? = nil) {
        self.directory = directory
        self.sysctls = sysctls
        self.serviceCIDR = serviceCIDR
    }

    /// The sysctl keys to read in namespace `name` ("" for the current one), if it is a node's.
    func sysctlKeys(in name: String) -> [String] {
        switch sysctls {
        case .everyNode(let keys): return keys
        case .byNamespace(let keys): return keys[name] ?? []
        }
    }

    /// The namespaces whose names say they are `cluster`'s (`CLUSTER.` prefix).
    public func candidateNamespaces(of cluster: String) throws -> [NetnsName] {
        try directory.list().filter { $0.rawValue.hasPrefix(cluster + ".") }
    }

    /// Touring threads: one more than the processors. Reading is mostly system calls,
    /// and every link dump holds the kernel's rtnl lock, so a tour often waits for
    /// another; the extra one keeps the processors busy meanwhile. On 2 processors,
    /// a no-op apply of 221 namespaces with 3 tours took 0.96–1.00 of the time with 2
    /// (five paired runs of 100), and with 4 longer than with 3.
    static let tours = max(2, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) + 1, 8))

    /// What one namespace turned out to hold.
    enum Reading: Sendable {
        case owned(NamespaceSnapshot, OwnershipMark)
        /// The cluster's, but another host's (host mode: `…@OTHER-NODE`).
        case otherHost
        case unowned
        case emptyUnmarked
    }

    /// - Parameter host: host mode: the node this machine is. The current namespace
    ///   is read too (as `.current`), and of the cluster's namespaces only those whose
    ///   mark role ends in `@NODE` (its own pods); the others are other hosts' business.
    public func read(cluster: String, host node: String? = nil) throws -> KernelState {
        let names = try candidateNamespaces(of: cluster)
        let reader = self
        // Each namespace is read whole on a touring thread inside it: the namespace
        // opened there, the socket opened there, the sysctls read there, the dumps made at once.
        let roleSuffix = node.map { "@\($0)" }
        let readings = try NamespaceTour.visitConcurrently(names, in: directory, threads: Self.tours) { name in
            try Self.readNamespace(name.rawValue, cluster: cluster, roleSuffix: roleSuffix, sysctlKeys: reader.sysctlKeys(in: name.rawValue),
                                   serviceCIDRs: reader.serviceCIDRs, nodePorts: reader.ipvsNodePorts, records: reader.nftRecords,
                                   ipv6Routes: reader.ipv6Routes)
        }
        var state = KernelState()
        if node != nil {
            // The caller's thread is in the current namespace: read it from here.
            var snapshot = try Self.readWhole(name: "", sysctlKeys: sysctlKeys(in: ""), ipv6Routes: ipv6Routes)
            try Self.readProxyState(into: &snapshot, namespace: .current, cluster: cluster, serviceCIDRs: serviceCIDRs,
                                    nodePorts: ipvsNodePorts, records: nftRecords)
            LiveStateDecoder.add(snapshot, in: .current, to: &state)
        }
        for (name, reading) in zip(names.map(\.rawValue), readings) {
            // A namespace deleted between listing and opening is simply not there (nil),
            // and so is a name with no namespace mounted on it.
            switch try reading.get() {
            case .owned(let snapshot, let mark)?:
                state.insert(Namespace(name: name, mark: mark))
                LiveStateDecoder.add(snapshot, in: .named(name), to: &state)
            case .otherHost?, nil:
                break
            case .unowned?:
                state.unownedNamespaces.insert(name)
            case .emptyUnmarked?:
                state.emptyUnmarkedNamespaces.insert(name)
            }
        }
        LiveStateDecoder.pairVeths(in: &state)
        return state
    }

    /// Runs on a thread inside the namespace.
    static func readNamespace(_ name: String, cluster: String, roleSuffix: String?, sysctlKeys: [String],
                              serviceCIDRs: [IPPrefix], nodePorts: IPVSOwnership.NodePorts = .init(),
                              records: NFTablesRecords? = nil, ipv6Routes: IPv6Routes = .everywhere) throws -> Reading {
        let connection = NetlinkConnection(socket: try KernelNetlinkSocket.forDumps())
        let links = try connection.links()
        let mark: OwnershipMark
        switch classify(links, cluster: cluster) {
        case .owned(let owner): mark = owner
        case .unowned: return .unowned
        case .emptyUnmarked: return .emptyUnmarked
        }
        if let roleSuffix, !mark.role.hasSuffix(roleSuffix) { return .otherHost }
        // Only nodes carry sysctls podnet sets and the service proxy's state: a pod's
        // namespace is spared the /proc/sys lookups (most of a pod's read time).
        let isNode = mark.role.hasPrefix("node/")
        var snapshot = try readWhole(name: name, links: links, connection: connection, sysctlKeys: isNode ? sysctlKeys : [],
                                     ipv6Routes: ipv6Routes)
        if isNode {
            try readProxyState(into: &snapshot, namespace: .named(name), cluster: cluster, serviceCIDRs: serviceCIDRs,
                               nodePorts: nodePorts, records: records)
        }
        return .owned(snapshot, mark)
    }

    /// The service proxy's state in the calling thread's namespace: the cluster's
    /// nf_tables table, and podnet's iptables chains where the namespace has iptables
    /// tables at all (iptables-save is a process: not run where it could find nothing).
    static func readProxyState(into snapshot: inout NamespaceSnapshot, namespace: NamespaceRef, cluster: String,
                               serviceCIDRs: [IPPrefix], nodePorts: IPVSOwnership.NodePorts = .init(),
                               records: NFTablesRecords? = nil) throws {
        let socket = try KernelNetlinkSocket.forDumps(bus: .netfilter)
        let connection = NetlinkConnection(socket: socket)
        let name = NFTable.podnetName(cluster: cluster)
        let stamp = NFTablesGenerationStamp(generation: try connection.nfGeneration(), namespaceCookie: try? socket.namespaceCookie())
        // One dump lists every table: whether podnet's exist, and whether iptables-nft
        // made its own (a GET for each of the three took twice the round trips).
        let tables = try connection.nfTableListing()
        // The proxy's tables (families ip and ip6, one name) stand recorded where their
        // record holds; NetworkPolicy's (family inet) is always read whole.
        for family in [NFTFamily.ip, .ip6, .inet] {
            let id = NFTable.ID(namespace: namespace, family: family, name: name)
            guard let listing = tables.first(where: { $0.family == family.rawValue && $0.name == name }) else { continue }
            if let records, let layout = records.layouts[family], let record = records.store.record(for: id, layout: layout, at: stamp) {
                // Nothing committed since podnet wrote what the record describes.
                snapshot.nftRecords.append((id, record))
            } else {
                snapshot.nftTables.append(try connection.nfTable(id, comment: listing.comment))
            }
        }
        // A recorded table is as its record says at `stamp`; one read whole (or found
        // missing, to be created) is known at `stamp` only if nothing was committed
        // while the tables were read.
        let proxyTables = [NFTFamily.ip, .ip6].map { NFTable.ID(namespace: namespace, family: $0, name: name) }
        let recorded = Set(snapshot.nftRecords.map(\.0))
        let heldStill = try recorded.count == proxyTables.count || connection.nfGeneration() == stamp.generation
        snapshot.nftGenerations = proxyTables.filter { heldStill || recorded.contains($0) }.map { ($0, stamp) }
        // Each family's tables apart (iptables-nft's `ip` and `ip6` tables; nf_tables
        // family numbers are the address families'), so that an IPv4-only cluster
        // runs no ip6tables-save.
        for family in AddressFamily.allCases {
            let hasIPTables = IPTablesDriver.hasTables(family: family) { name in
                tables.contains { $0.family == family.rawValue && $0.name == name }
            }
            guard hasIPTables else { continue }
            let (chains, rules) = try IPTablesDriver.read(namespace: namespace, cluster: cluster, family: family)
            snapshot.iptablesChains += chains
            snapshot.iptablesRules += rules
        }
        // IPVS keeps a per-namespace /proc file once the kernel has it loaded; without
        // it no service can exist, and asking the generic netlink controller for the
        // family would load ip_vs for nothing.
        if Syscall.exists("/proc/thread-self/net/ip_vs") {
            let generic = NetlinkConnection(socket: try KernelNetlinkSocket.forDumps(bus: .generic))
            let ownership = IPVSOwnership(cluster: cluster, serviceCIDRs: serviceCIDRs, held: heldAddresses(in: snapshot), nodePorts: nodePorts)
            (snapshot.ipvsServices, snapshot.foreignIPVSServices) = try IPVSDriver(connection: generic, namespace: namespace)
                .services(where: { ownership.owns($0, port: $1) })
        }
    }

    /// Every address of the snapshot's devices, of both families, with the device's name and mark.
    static func heldAddresses(in snapshot: NamespaceSnapshot) -> [IPVSOwnership.HeldAddress] {
        let links = Dictionary(snapshot.links.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        return snapshot.addresses.compactMap { message in
            guard let address = message.prefix?.address, let link = links[message.index], let name = link.name else { return nil }
            return IPVSOwnership.HeldAddress(address: address, device: name, deviceMark: link.alias.flatMap(OwnershipMark.init(alias:)))
        }
    }

    /// Everything of the namespace the calling thread is in.
    static func readWhole(name: String, links: [LinkMessage]? = nil, connection: NetlinkConnection? = nil,
                          sysctlKeys: [String], ipv6Routes: IPv6Routes = .everywhere) throws -> NamespaceSnapshot {
        let connection = try connection ?? NetlinkConnection(socket: try KernelNetlinkSocket.forDumps())
        let links = try links ?? connection.links()
        var sysctls: [String: String] = [:]
        for key in sysctlKeys {
            // /proc/sys/net shows the namespace of the thread that opens the file: this one.
            sysctls[key] = try? SysctlFile.read(SysctlKey(key))
        }
        // Addresses of both families in one dump: a file that dropped IPv6 must still
        // see the IPv6 addresses it is to remove.
        let addresses = try connection.addresses()
        // podnet's permanent neighbour and FDB entries live on VXLAN devices only: a
        // namespace without one skips those two dumps (2 of 5 round trips).
        let hasVXLAN = links.contains { if case .vxlan = $0.info { return true } else { return false } }
        let hasIPv6Address = addresses.contains { $0.family == UInt8(AF_INET6) && $0.scope == .universe }
        let routeFamily: AddressFamily? = ipv6Routes == .everywhere || hasIPv6Address || hasVXLAN ? nil : .ipv4
        return NamespaceSnapshot(
            name: name, links: links, addresses: addresses, routes: try connection.routes(family: routeFamily, table: .main),
            neighbours: hasVXLAN ? try connection.neighbours() : [],
            forwardingEntries: hasVXLAN ? try connection.forwardingEntries() : [], sysctls: sysctls)
    }
}
