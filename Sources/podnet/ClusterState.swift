import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetAddress
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology

/// What the reconciling commands share: the file resolved against the live
/// cluster (sticky allocation), the desired and live kernel states, and the plan.
struct ClusterState {
    let file: TopologyFile
    let topology: Topology
    var live: KernelState
    let desired: KernelState
    /// podnet's nftables tables of `live` that were rebuilt from their records, not read.
    var recordedTables: Set<NFTable.ID> = []
    /// The records of the nftables tables the file wants (proxy mode nftables), by
    /// family (`ip`, and `ip6` in a cluster with IPv6), once made.
    var desiredRecords: [NFTFamily: NFTablesProxyRecord] = [:]
    /// Host mode's node, and what the reader looked up: to read again the same way.
    var host: String? = nil
    var sysctls: LiveStateReader.SysctlLookup? = nil

    /// Loads `path`, reads the cluster's live state, and resolves the file again with
    /// the live assignments so that nothing live is renumbered. Reports diagnostics;
    /// throws `ExitCode.failure` when the file is invalid or the kernel unreadable.
    /// - Parameter first: the file already loaded without live assignments, if the
    ///   caller has it (it is loaded again with them).
    /// - Parameter quiet: no warnings (a second load of a file already reported).
    /// - Parameter host: host mode (`--node NAME`): this machine is that node.
    static func load(path: String, first: TopologyFile? = nil, quiet: Bool = false, host: String? = nil) throws -> ClusterState {
        let first = first ?? TopologyFile(path: path)
        guard let firstTopology = first.result.topology else {
            first.reportDiagnostics()
            throw ExitCode.failure
        }
        if let host { return try loadHost(host, path: path, file: first, topology: firstTopology, quiet: quiet) }
        let name = firstTopology.name
        PhaseTiming.mark("file loaded")
        // Rendered from the file's first resolution: the live assignments nearly always
        // resolve it the same way (every live pod keeps its address), and then this is
        // the desired state. It also says which sysctls to read, and where: its keys
        // (bridge names) do not depend on the allocation.
        let firstDesired = LabRenderer(topology: firstTopology).render()
        PhaseTiming.mark("desired state rendered")
        let sysctls = Self.sysctlLookup(firstDesired)
        let firstProxy = Self.proxyRenderer(for: firstTopology)
        let live = try readLive(cluster: name, sysctls: sysctls, serviceCIDR: firstTopology.serviceCIDR, serviceCIDRv6: firstTopology.ipv6?.serviceCIDR,
                                ipv6Routes: ipv6Routes(of: firstTopology),
                                ipvsNodePorts: ipvsNodePorts(of: firstTopology), nftRecords: Self.nftRecords(for: firstProxy))
        PhaseTiming.mark("live state read (\(live.namespaces.count) namespaces, \(live.objectCount) objects, \(live.nftRecords.count) tables recorded)")
        let file = first.resolved(live: LiveAssignmentsReader.assignments(in: live, cluster: name))
        PhaseTiming.mark("file resolved against the live assignments")
        if !quiet || file.result.topology == nil { file.reportDiagnostics() }
        guard let topology = file.result.topology else { throw ExitCode.failure }
        guard topology != firstTopology else {
            return try ClusterState(file: file, topology: topology, live: live, desired: firstDesired, sysctls: sysctls)
                .rebuildingRecordedTables(with: firstProxy)
        }
        let desired = LabRenderer(topology: topology).render()
        PhaseTiming.mark("desired state rendered again (the live assignments changed the allocation)")
        return try ClusterState(file: file, topology: topology, live: live, desired: desired, sysctls: sysctls)
            .rebuildingRecordedTables(with: proxyRenderer(for: topology))
    }

    /// Records stand for podnet's nftables tables in proxy mode nftables only (the
    /// ipvs mode's table is another layout, and always read): the renderer that makes
    /// the records, nil in the other modes. Made once per topology, for the layout the
    /// reader checks and the record the rebuild compares.
    static func proxyRenderer(for topology: Topology) -> NFTablesProxyRenderer? {
        topology.proxy.mode == .nftables ? NFTablesProxyRenderer(topology: topology) : nil
    }

    static func nftRecords(for renderer: NFTablesProxyRenderer?) -> LiveStateReader.NFTablesRecords? {
        guard let renderer else { return nil }
        var layouts: [NFTFamily: String] = [:]
        for family in proxyFamilies(of: renderer.topology) { layouts[NFTFamily(family)] = renderer.layout(for: family) }
        return LiveStateReader.NFTablesRecords(layouts: layouts)
    }

    /// The families of the proxy's tables: the cluster's.
    static func proxyFamilies(of topology: Topology) -> [AddressFamily] {
        topology.familiesIPv4First
    }

    /// The state with every recorded table rebuilt (`NFTablesProxyRenderer.rebuild(recordedAs:desired:current:)`);
    /// where one cannot be (the file no longer wants the table), every table read whole.
    /// - Parameter renderer: `proxyRenderer(for: topology)`.
    func rebuildingRecordedTables(with renderer: NFTablesProxyRenderer?) throws -> ClusterState {
        var state = self
        guard let renderer else { return state }
        for family in Self.proxyFamilies(of: topology) { state.desiredRecords[NFTFamily(family)] = renderer.record(for: family) }
        guard !live.nftRecords.isEmpty else { return state }
        for (id, recorded) in live.nftRecords {
            guard let wanted = desired.nftTables[id], let node = node(holding: id), let record = state.desiredRecords[id.family],
                  let rebuilt = renderer.rebuild(recordedAs: recorded, desired: wanted, onNode: node, current: record) else {
                state.live = try Self.readLive(cluster: topology.name, sysctls: sysctls, host: host, serviceCIDR: topology.serviceCIDR, serviceCIDRv6: topology.ipv6?.serviceCIDR,
                                               ipv6Routes: Self.ipv6Routes(of: topology))
                state.recordedTables = []
                return state
            }
            state.live.nftTables[id] = rebuilt.table
            state.live.nftRebuiltChains[id] = rebuilt.differingChains
            state.recordedTables.insert(id)
        }
        state.live.nftRecords = [:]
        PhaseTiming.mark("\(state.recordedTables.count) nftables tables rebuilt from their records")
        return state
    }

    /// The node whose namespace holds table `id`: host mode's, or in lab mode the one
    /// named by the namespace (`CLUSTER.NODE`).
    private func node(holding id: NFTable.ID) -> String? {
        if let host { return host }
        guard case .named(let namespace) = id.namespace, namespace.hasPrefix(topology.name + ".") else { return nil }
        return String(namespace.dropFirst(topology.name.count + 1))
    }

    /// How the plan's nftables changes are committed: each table's against the
    /// generation it was read at, keeping the record of what the file wants.
    func nftCommits() -> [NFTable.ID: NFTablesCommit] {
        var commits: [NFTable.ID: NFTablesCommit] = [:]
        for (id, stamp) in live.nftGenerations {
            commits[id] = NFTablesCommit(plannedAt: stamp, plannedFrom: live.nftTables[id], expected: desired.nftTables[id], record: desiredRecords[id.family])
        }
        return commits
    }

    /// Keeps a record of each nftables table that was read whole and that `plan` leaves
    /// as it is (it matches the file), so that the next command need not read it.
    func keepRecords(ofTablesUnchangedBy plan: Plan) {
        guard !desiredRecords.isEmpty else { return }
        var changed: Set<NFTable.ID> = []
        for planned in plan.operations { if case .nftables(let change) = planned.operation { changed.insert(change.table) } }
        let keep = live.nftGenerations.filter { desired.nftTables[$0.key] != nil && !recordedTables.contains($0.key) && !changed.contains($0.key) }
        let store = NFTablesRecordStore()
        if host == nil { store.prune(cluster: topology.name, keeping: Set(live.namespaces.keys)) }
        for (id, stamp) in keep {
            if let record = desiredRecords[id.family] { try? store.save(record, for: id, at: stamp) }
        }
    }

    /// The cluster a command acts on: `--cluster NAME` as given, or the name in a
    /// topology file (whose diagnostics are reported; an invalid file fails).
    static func name(cluster: String?, file: String?) throws -> String {
        if let cluster { return cluster }
        let topology = TopologyFile(path: file ?? "")
        topology.reportDiagnostics()
        guard let resolved = topology.result.topology else { throw ExitCode.failure }
        return resolved.name
    }

    /// Host mode. Allocation comes from the file alone, never from this host's live
    /// state: every host of the cluster applies the same file and must reach the
    /// same numbers for the nodes it cannot see.
    private static func loadHost(_ host: String, path: String, file: TopologyFile, topology: Topology, quiet: Bool) throws -> ClusterState {
        if !quiet { file.reportDiagnostics() }
        guard let node = topology.node(named: host) else {
            let names = topology.nodes.map(\.name).joined(separator: ", ")
            Terminal.writeError("podnet: error: \(path): no node named '\(host)' (--node); the nodes are: \(names)")
            throw ExitCode.failure
        }
        let sysctls = Self.sysctlLookup(HostRenderer(topology: topology, node: node, uplink: "").render())
        let proxy = proxyRenderer(for: topology)
        let live = try readLive(cluster: topology.name, sysctls: sysctls, host: host, serviceCIDR: topology.serviceCIDR, serviceCIDRv6: topology.ipv6?.serviceCIDR,
                                ipv6Routes: ipv6Routes(of: topology), ipvsNodePorts: ipvsNodePorts(of: topology, host: node), nftRecords: nftRecords(for: proxy))
        let uplink = try hostUplink(of: node, live: live, path: path)
        let desired = HostRenderer(topology: topology, node: node, uplink: uplink).render()
        return try ClusterState(file: file, topology: topology, live: live, desired: desired, host: host, sysctls: sysctls)
            .rebuildingRecordedTables(with: proxy)
    }

    /// `nodes[].interface`, which must exist; else the interface holding the node's address.
    static func hostUplink(of node: Node, live: KernelState, path: String) throws -> String {
        if let interface = node.interface {
            guard live.links[Link.ID(.current, interface)] != nil else {
                Terminal.writeError("podnet: error: node '\(node.name)': its interface '\(interface)' does not exist on this host (ip link show \(interface))")
                throw ExitCode.failure
            }
            return interface
        }
        let address = node.underlayAddress
        let holder = live.addresses.filter { $0.link.namespace == .current && $0.address.address == address }
            .map(\.link.name).sorted().first
        guard let holder else {
            Terminal.writeError("podnet: error: node '\(node.name)': no interface on this host holds its address \(address.map { "\($0)" } ?? "-"); is this host node '\(node.name)'? Set 'interface:' for it in \(path), or check --node")
            throw ExitCode.failure
        }
        return holder
    }

    /// The sysctls a rendered state sets, by namespace name ("" for the current one):
    /// what the reader looks up there. Their keys (bridge names) do not depend on the
    /// live allocation, so the file's first resolution gives them.
    static func sysctlLookup(_ state: KernelState) -> LiveStateReader.SysctlLookup {
        var keys: [String: [String]] = [:]
        for id in state.sysctls.keys {
            let name: String
            switch id.namespace {
            case .current: name = ""
            case .named(let named): name = named
            }
            keys[name, default: []].append(id.key)
        }
        return .byNamespace(keys.mapValues { $0.sorted() })
    }

    /// - Parameter sysctls: what to look up where (see `sysctlLookup`); nil: the reader's default.
    /// - Parameter serviceCIDR: the file's, when there is one: IPVS services on it may
    ///   be podnet's; `serviceCIDRv6`: its IPv6 one, likewise.
    /// - Parameter ipvsNodePorts: where the file's IPVS NodePorts may be (`ipvsNodePorts(of:host:)`).
    /// - Parameter nftRecords: records that may stand for nftables tables (nil: read every table).
    static func readLive(cluster: String, sysctls: LiveStateReader.SysctlLookup? = nil, host: String? = nil,
                         serviceCIDR: IPv4Prefix? = nil, serviceCIDRv6: IPv6Prefix? = nil, ipv6Routes: LiveStateReader.IPv6Routes = .everywhere,
                         ipvsNodePorts: IPVSOwnership.NodePorts = .init(),
                         nftRecords: LiveStateReader.NFTablesRecords? = nil) throws -> KernelState {
        guard getuid() == 0 else {
            Terminal.writeError("podnet: error: reading the kernel's namespaces needs root; run with sudo")
            throw ExitCode.failure
        }
        do {
            var reader = LiveStateReader(serviceCIDR: serviceCIDR)
            reader.serviceCIDRv6 = serviceCIDRv6
            reader.ipvsNodePorts = ipvsNodePorts
            reader.ipv6Routes = ipv6Routes
            if let sysctls { reader.sysctls = sysctls }
            reader.nftRecords = nftRecords
            return try reader.read(cluster: cluster, host: host)
        } catch {
            Terminal.writeError("podnet: error: cannot read the live state of cluster '\(cluster)': \(error)")
            throw ExitCode.failure
        }
    }

    /// A file with IPv6 reads every namespace's IPv6 routes; an IPv4-only one only
    /// where IPv6 is configured (`LiveStateReader.IPv6Routes`).
    static func ipv6Routes(of topology: Topology) -> LiveStateReader.IPv6Routes {
        topology.usesIPv6 ? .everywhere : .whereIPv6IsConfigured
    }

    /// The file's `proxy.nodePortRange`, and in host mode the node's address: there,
    /// IPVS virtual servers are podnet's NodePorts (`IPVSOwnership`).
    static func ipvsNodePorts(of topology: Topology, host: Node? = nil) -> IPVSOwnership.NodePorts {
        let range = topology.proxy.nodePortRange
        let ports = UInt16(clamping: range.lowerBound)...UInt16(clamping: range.upperBound)
        let addresses = host.map { node in topology.families.compactMap { node.address($0) } } ?? []
        return IPVSOwnership.NodePorts(addresses: Set(addresses), range: ports)
    }

    func plan() throws -> Plan {
        do {
            let plan = try Planner(cluster: topology.name).plan(desired: desired, live: live)
            PhaseTiming.mark("planned (\(plan.operations.count) operations)")
            return plan
        } catch {
            Terminal.writeError("podnet: error: cluster '\(topology.name)': \(error)")
            throw ExitCode.failure
        }
    }
}
