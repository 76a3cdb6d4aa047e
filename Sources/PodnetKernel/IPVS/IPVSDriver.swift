import PodnetAddress
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// IPVS of one network namespace, over a generic netlink socket opened inside it:
/// reads every service with its real servers, and applies changes pipelined.
///
/// Not thread-safe (one connection); the socket may be used from any thread, since
/// it stays in the namespace it was opened in.
public final class IPVSDriver {
    public let namespace: NamespaceRef
    public let family: GenericNetlinkFamily
    let connection: NetlinkConnection

    /// The IPVS family's name with the generic netlink controller.
    public static let familyName = "IPVS"

    /// Over an open connection on a generic netlink socket, with the family resolved.
    public init(connection: NetlinkConnection, family: GenericNetlinkFamily, namespace: NamespaceRef) {
        self.connection = connection
        self.family = family
        self.namespace = namespace
    }

    /// Over an open connection: resolves the IPVS family, or throws `.missing`.
    public convenience init(connection: NetlinkConnection, namespace: NamespaceRef) throws(IPVSError) {
        self.init(connection: connection, family: try Self.resolveFamily(on: connection), namespace: namespace)
    }

    /// Drivers for `namespaces`: one generic netlink socket opened inside each (by one
    /// touring thread; `.current` from the calling thread), the family resolved once.
    public static func open(_ namespaces: [NamespaceRef], directory: NetnsDirectory = NetnsDirectory()) throws(IPVSError) -> [IPVSDriver] {
        var sockets: [NamespaceRef: KernelNetlinkSocket] = [:]
        let named = namespaces.compactMap { namespace -> (NamespaceRef, String)? in
            if case .named(let name) = namespace { return (namespace, name) }
            return nil
        }
        do {
            let handles = try named.map { try directory.open(NetnsName($0.1)) }
            for (index, socket) in try NamespaceSockets.open(in: handles, bus: .generic).enumerated() {
                sockets[named[index].0] = socket
            }
            if namespaces.contains(.current) { sockets[.current] = try KernelNetlinkSocket(bus: .generic) }
        } catch {
            throw .namespaces(namespaces, "\(error)")
        }
        guard let first = namespaces.first, let firstSocket = sockets[first] else { return [] }
        let family = try resolveFamily(on: NetlinkConnection(socket: firstSocket))
        return namespaces.map { IPVSDriver(connection: NetlinkConnection(socket: sockets[$0]!), family: family, namespace: $0) }
    }

    /// The driver of one namespace.
    public static func open(_ namespace: NamespaceRef, directory: NetnsDirectory = NetnsDirectory()) throws(IPVSError) -> IPVSDriver {
        try open([namespace], directory: directory)[0]
    }

    static func resolveFamily(on connection: NetlinkConnection) throws(IPVSError) -> GenericNetlinkFamily {
        do {
            return try connection.genericFamily(named: familyName)
        } catch {
            switch error {
            case .missing(let missing): throw .missing(missing)
            case .netlink(let failure): throw .netlink(failure)
            }
        }
    }

    /// Every IPv4 and IPv6 TCP/UDP service of the namespace with its real servers, sorted.
    /// One dump of the services, then one dump of each one's destinations.
    public func services() throws(IPVSError) -> [IPVSService] {
        try services(where: { _, _ in true }).included
    }

    /// The services on an address and port `include` accepts, each with its real servers, and
    /// the identities of the others, whose real servers are not asked for (a host's
    /// thousands of kube-proxy services cost one dump, not one each).
    public func services(where include: (IPAddress, UInt16) -> Bool) throws(IPVSError) -> (included: [IPVSService], others: [IPVSService.ID]) {
        do throws(NetlinkError) {
            var services: [IPVSService] = []
            var others: [IPVSService.ID] = []
            for message in try connection.ipvsServices(family: family) {
                guard message.firewallMark == nil, let address = message.address else { continue }
                guard include(address, message.port) else {
                    if let service = IPVSWireMessages.model(message, destinations: [], namespace: namespace) { others.append(service.id) }
                    continue
                }
                let destinations = try connection.ipvsDestinations(of: message, family: family)
                if let service = IPVSWireMessages.model(message, destinations: destinations, namespace: namespace) {
                    services.append(service)
                }
            }
            return (services.sorted { $0.id < $1.id }, others.sorted())
        } catch {
            throw .netlink(error)
        }
    }

    /// Applies `changes` in order, as one pipelined batch, stopping at the first
    /// refusal (its description gives the change's `ipvsadm` line). Changes for
    /// another namespace are a programming error.
    public func apply(_ changes: [IPVSChange]) throws(IPVSError) {
        precondition(changes.allSatisfy { $0.service.namespace == namespace }, "IPVS changes for another namespace than \(namespace)")
        guard !changes.isEmpty else { return }
        let result: BatchResult
        do throws(NetlinkError) {
            result = try connection.executeBatch(changes.map { IPVSWireMessages.request($0, family: family) })
        } catch {
            throw .netlink(error)
        }
        if let (index, error) = result.firstFailure {
            throw .refused(changes[index], error)
        }
    }
}
