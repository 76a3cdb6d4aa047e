import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// `podnet trace`'s SRC and DST[:PORT[/PROTO]] in a cluster's words: where the
/// packet starts (a pod's, client's or node's namespace) and what it is.
public struct TraceRequest: Sendable, Equatable {
    public var namespace: NamespaceRef
    public var packet: TracedPacket
    /// How SRC and DST read: `pod a0`, `service web (10.96.0.2:80/TCP)`.
    public var sourceName: String
    public var destinationName: String

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unknownSource(String)
        case unknownDestination(String)
        case badPort(String)
        case noServicePort(service: String, ports: String)
        case noRoute(source: String)
        /// The cluster, or the pod, service, node or client named, lacks the family.
        case noAddress(String, AddressFamily)

        public var description: String {
            switch self {
            case .unknownSource(let text): "'\(text)' is no pod, client or node of the cluster"
            case .unknownDestination(let text): "'\(text)' is no pod, service, node, client or IP address of the cluster"
            case .badPort(let text): "'\(text)' is not PORT or PORT/PROTO (1-65535, TCP or UDP)"
            case .noServicePort(let service, let ports): "service \(service) has no such port; its ports: \(ports)"
            case .noRoute(let source): "\(source) has no route toward the destination, so it has no source address to send from"
            case .noAddress(let what, let family): "\(what) has no \(family) address"
            }
        }
    }

    /// - Parameters:
    ///   - destination: a pod, service, node or client name, or an IP address
    ///     (`[ADDRESS]` for IPv6 with a port), with `:PORT` and `/TCP` or `/UDP` (no
    ///     port: an echo; a service without a port: its first port). A node with a
    ///     port is its NodePort.
    ///   - family: which of their addresses names stand for; nil: the cluster's primary
    ///     family. An address given decides it.
    ///   - walker: the state the trace will follow, for a node's source address.
    public static func resolve(source: String, destination: String, in topology: Topology,
                               walker: PacketWalker, host: String? = nil, family: AddressFamily? = nil) throws(Problem) -> TraceRequest {
        let (target, portText) = split(destination)
        let literal = IPAddress(target)
        let family = literal?.family ?? family ?? topology.primaryFamily
        guard literal != nil || topology.families.contains(family) else { throw .noAddress("cluster \(topology.name)", family) }
        var port: UInt16?
        var proto = TracedPacket.TransportProtocol.echo(family)
        if let portText {
            let parts = portText.split(separator: "/", maxSplits: 1).map(String.init)
            guard let number = UInt16(parts[0]), number > 0 else { throw .badPort(portText) }
            port = number
            proto = .tcp
            if parts.count == 2 {
                switch parts[1].uppercased() {
                case "TCP": proto = .tcp
                case "UDP": proto = .udp
                default: throw .badPort(portText)
                }
            }
        }
        let (address, destinationName, destinationPort, resolvedProto) = try resolveDestination(target, port: port, proto: proto,
                                                                                                family: family, in: topology)
        let namespace: NamespaceRef
        var sourceAddress: IPAddress?
        let sourceName: String
        if let pod = topology.pod(named: source) {
            namespace = .named(KernelNames.namespace(cluster: topology.name, member: pod.name))
            guard let ip = pod.ip(family) else { throw .noAddress("pod \(pod.name)", family) }
            sourceAddress = ip
            sourceName = "pod \(pod.name)"
        } else if let client = topology.clients.first(where: { $0.name == source }) {
            namespace = .named(KernelNames.namespace(cluster: topology.name, member: client.name))
            guard let address = client.address(family) else { throw .noAddress("client \(client.name)", family) }
            sourceAddress = address
            sourceName = "client \(client.name)"
        } else if let node = topology.node(named: source) {
            namespace = host == node.name ? .current : .named(KernelNames.namespace(cluster: topology.name, member: node.name))
            sourceName = "node \(node.name)"
        } else {
            throw .unknownSource(source)
        }
        if sourceAddress == nil {
            // A node's own packet leaves with the address of the device its route takes.
            guard let (route, _) = walker.route(to: address, in: namespace), let device = route.device,
                  let chosen = walker.sourceAddress(leaving: Link.ID(namespace, device), family: family, toward: address) else { throw .noRoute(source: sourceName) }
            sourceAddress = chosen
        }
        let packet = TracedPacket(source: sourceAddress!, destination: address, protocol: resolvedProto,
                                  destinationPort: destinationPort)
        return TraceRequest(namespace: namespace, packet: packet, sourceName: sourceName, destinationName: destinationName)
    }

    /// `web:80/TCP` → (`web`, `80/TCP`); `10.0.0.1` → (`10.0.0.1`, nil);
    /// `[fd00:96::1]:80` → (`fd00:96::1`, `80`); `fd00:96::1` → (`fd00:96::1`, nil).
    static func split(_ text: String) -> (String, String?) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let address = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            return (address, rest.hasPrefix(":") ? String(rest.dropFirst()) : nil)
        }
        if IPv6Address(text) != nil { return (text, nil) }
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func resolveDestination(_ target: String, port: UInt16?, proto: TracedPacket.TransportProtocol,
                                           family: AddressFamily, in topology: Topology) throws(Problem)
        -> (IPAddress, String, UInt16, TracedPacket.TransportProtocol) {
        if let pod = topology.pod(named: target) {
            guard let ip = pod.ip(family) else { throw .noAddress("pod \(pod.name)", family) }
            return (ip, "pod \(pod.name)", port ?? 0, proto)
        }
        if let service = topology.services.first(where: { $0.name == target }) {
            let wanted = service.ports.first { servicePort in
                guard let port else { return true }
                return servicePort.port == Int(port) && (proto.rawValue == TracedPacket.TransportProtocol.echo(family).rawValue
                                                         || servicePort.protocol == (proto == .udp ? .udp : .tcp))
            }
            guard let servicePort = wanted else {
                throw .noServicePort(service: service.name, ports: service.ports.map { "\($0.port)/\($0.protocol.rawValue.uppercased())" }.joined(separator: ", "))
            }
            guard let clusterIP = service.clusterIP(family) else { throw .noAddress("service \(service.name)", family) }
            let transport: TracedPacket.TransportProtocol = servicePort.protocol == .udp ? .udp : .tcp
            return (clusterIP, "service \(service.name) (ClusterIP \(TracedPacket.endpoint(clusterIP, UInt16(servicePort.port)))/\(transport.name))",
                    UInt16(servicePort.port), transport)
        }
        if let node = topology.node(named: target) {
            // A node without an IPv6 underlay address is reached at its bridge's (IPv6 over VXLAN).
            guard let address = node.address(family) ?? node.gateway(family) else { throw .noAddress("node \(node.name)", family) }
            return (address, port.map { "node \(node.name), port \($0)" } ?? "node \(node.name)", port ?? 0, proto)
        }
        if let client = topology.clients.first(where: { $0.name == target }) {
            guard let address = client.address(family) else { throw .noAddress("client \(client.name)", family) }
            return (address, "client \(client.name)", port ?? 0, proto)
        }
        if let address = IPAddress(target) {
            return (address, address.description, port ?? 0, proto)
        }
        throw .unknownDestination(target)
    }
}
