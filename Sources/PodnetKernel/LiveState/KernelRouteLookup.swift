import PodnetAddress
import PodnetKernelModel
import PodnetNetlink

/// `ip route get` in each namespace of a packet's path: the kernel's own choice of
/// route (RTM_GETROUTE), which `trace --live` holds against the route the trace
/// picked from the routes it read.
public enum KernelRouteLookup {
    public struct Answer: Equatable, Sendable {
        /// nil: the kernel has no route there.
        public var device: String?
        public var gateway: IPAddress?
    }

    /// One answer per query, in order.
    public static func answers(for queries: [(namespace: NamespaceRef, destination: IPAddress)]) throws -> [Answer] {
        var order: [NamespaceRef] = []
        for query in queries where !order.contains(query.namespace) { order.append(query.namespace) }
        let directory = NetnsDirectory()
        var connections: [NamespaceRef: NetlinkConnection] = [:]
        let named = order.compactMap { namespace -> (NamespaceRef, String)? in
            if case .named(let name) = namespace { return (namespace, name) }
            return nil
        }
        let handles = try named.map { try directory.open(NetnsName($0.1)) }
        for ((namespace, _), socket) in zip(named, try NamespaceSockets.open(in: handles)) {
            connections[namespace] = NetlinkConnection(socket: socket)
        }
        if order.contains(.current) { connections[.current] = NetlinkConnection(socket: try KernelNetlinkSocket.forDumps()) }
        var names: [NamespaceRef: [Int32: String]] = [:]
        for (namespace, connection) in connections {
            names[namespace] = Dictionary(try connection.links().compactMap { link in link.name.map { (link.index, $0) } },
                                          uniquingKeysWith: { first, _ in first })
        }
        return try queries.map { query in
            guard let route = try connections[query.namespace]!.route(to: query.destination) else { return Answer() }
            return Answer(device: route.outputInterface.flatMap { names[query.namespace]?[$0] }, gateway: route.gateway)
        }
    }
}
