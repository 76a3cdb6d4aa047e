import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetNetlink

/// Reads a cluster's live state: its namespaces (found by name and by the mark on
/// their `lo`), and in each, one dump per object type. Sockets are opened inside
/// each namespace by one touring thread; the dumps then run from the caller.
public struct LiveStateReader: Sendable {
    public var directory: NetnsDirectory
    /// sysctl keys read in every owned namespace (what the render sets).
    public var sysctlKeys: [String]

    public init(directory: NetnsDirectory = NetnsDirectory(), sysctlKeys: [String] = ["net.ipv4.ip_forward"]) {
        self.directory = directory
        self.sysctlKeys = sysctlKeys
    }

    /// The namespaces whose names say they are `cluster`'s (`CLUSTER.` prefix).
    public func candidateNamespaces(of cluster: String) throws -> [NetnsName] {
        try directory.list().filter { $0.rawValue.hasPrefix(cluster + ".") }
    }

    public func read(cluster: String) throws -> KernelState {
        var handles: [NetnsHandle] = []
        for name in try candidateNamespaces(of: cluster) {
            // A namespace deleted between listing and opening is simply not there.
            guard let handle = try? directory.open(name) else { continue }
            handles.append(handle)
        }
        let keys = sysctlKeys
        let sockets = try NamespaceTour.visit(handles) { _ in
            let socket = try KernelNetlinkSocket()
            var values: [String: String] = [:]
            for key in keys {
                // /proc/sys/net shows the namespace of the thread that opens the file.
                values[key] = try? SysctlFile.read(SysctlKey(key))
            }
            return (socket: socket, sysctls: values)
        }
        var state = KernelState()
        for (handle, opened) in zip(handles, sockets) {
            let name = String(handle.path.split(separator: "/").last ?? "")
            let (socket, sysctls) = try opened.get()
            let connection = NetlinkConnection(socket: socket)
            let links = try connection.links()
            let lo = links.first { $0.name == "lo" }
            guard let mark = lo?.alias.flatMap(OwnershipMark.init(alias:)), mark.isOwned(by: cluster) else {
                if links.count == 1, let lo, lo.alias == nil, !lo.isUp {
                    state.emptyUnmarkedNamespaces.insert(name)
                } else {
                    state.unownedNamespaces.insert(name)
                }
                continue
            }
            state.insert(Namespace(name: name, mark: mark))
            // podnet's permanent neighbour and FDB entries live on VXLAN devices only: a
            // namespace without one skips those two dumps (2 of 5 round trips).
            let hasVXLAN = links.contains { if case .vxlan = $0.info { return true } else { return false } }
            let snapshot = NamespaceSnapshot(
                name: name, links: links, addresses: try connection.addresses(), routes: try connection.routes(table: .main),
                neighbours: hasVXLAN ? try connection.neighbours() : [],
                forwardingEntries: hasVXLAN ? try connection.forwardingEntries() : [], sysctls: sysctls)
            LiveStateDecoder.add(snapshot, to: &state)
        }
        LiveStateDecoder.pairVeths(in: &state)
        return state
    }
}
