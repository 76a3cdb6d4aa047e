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

        public var description: String {
            switch self {
            case .unknownSource(let text): "'\(text)' is no pod, client or node of the cluster"
            case .unknownDestination(let text): "'\(text)' is no pod, service, node, client or IPv4 address of the cluster"
            case .badPort(let text): "'\(text)' is not PORT or PORT/PROTO (1-65535, TCP or UDP)"
            case .noServicePort(let service, let ports): "service \(service) has no such port; its ports: \(ports)"
            case .noRoute(let source): "\(source) has no route toward the destination, so it has no source address to send from"
            }
        }
    }

    /// - Parameters:
    ///   - destination: a pod, service, node or client name, or an IPv4 address,
    ///     with `:PORT` and `/TCP` or `/UDP` (no port: an ICMP echo; a service
    ///     without a port: its first port). A node with a port is its NodePort.
    ///   - walker: the state the trace will follow, for a node's source address.
    public static func resolve(source: String, destination: String, in topology: Topology,
                               walker: PacketWalker, host: String? = nil) throws(Problem) -> TraceRequest {
        let (target, portText) = split(destination)
        var port: UInt16?
        var proto: TracedPacket.TransportProtocol = .icmp
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
        let (address, destinationName, destinationPort, resolvedProto) = try resolveDestination(target, port: port, proto: proto, in: topology)
        let namespace: NamespaceRef
        var sourceAddress: IPv4Address?
        let sourceName: String
        if let pod = topology.pod(named: source) {
            namespace = .named(KernelNames.namespace(cluster: topology.name, member: pod.name))
            sourceAddress = pod.ip
            sourceName = "pod \(pod.name)"
        } else if let client = topology.clients.first(where: { $0.name == source }) {
            namespace = .named(KernelNames.namespace(cluster: topology.name, member: client.name))
            sourceAddress = client.address
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
                  let chosen = walker.address(of: Link.ID(namespace, device)) else { throw .noRoute(source: sourceName) }
            sourceAddress = chosen
        }
        let packet = TracedPacket(source: sourceAddress!, destination: address, protocol: resolvedProto,
                                  destinationPort: destinationPort)
        return TraceRequest(namespace: namespace, packet: packet, sourceName: sourceName, destinationName: destinationName)
    }

    /// `web:80/TCP` → (`web`, `80/TCP`); `10.0.0.1` → (`10.0.0.1`, nil).
    static func split(_ text: String) -> (String, String?) {
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private static func resolveDestination(_ target: String, port: UInt16?, proto: TracedPacket.TransportProtocol,
                                           in topology: Topology) throws(Problem)
        -> (IPv4Address, String, UInt16, TracedPacket.TransportProtocol) {
        if let pod = topology.pod(named: target) {
            return (pod.ip, "pod \(pod.name)", port ?? 0, proto)
        }
        if let service = topology.services.first(where: { $0.name == target }) {
            let wanted = service.ports.first { servicePort in
                guard let port else { return true }
                return servicePort.port == Int(port) && (proto == .icmp || servicePort.protocol == (proto == .udp ? .udp : .tcp))
            }
            guard let servicePort = wanted else {
                throw .noServicePort(service: service.name, ports: service.ports.map { "\($0.port)/\($0.protocol.rawValue.uppercased())" }.joined(separator: ", "))
            }
            let transport: TracedPacket.TransportProtocol = servicePort.protocol == .udp ? .udp : .tcp
            return (service.clusterIP, "service \(service.name) (ClusterIP \(service.clusterIP):\(servicePort.port)/\(transport.name))",
                    UInt16(servicePort.port), transport)
        }
        if let node = topology.node(named: target) {
            return (node.address, port.map { "node \(node.name), port \($0)" } ?? "node \(node.name)", port ?? 0, proto)
        }
        if let client = topology.clients.first(where: { $0.name == target }) {
            return (client.address, "client \(client.name)", port ?? 0, proto)
        }
        if let address = IPv4Address(target) {
            return (address, address.description, port ?? 0, proto)
        }
        throw .unknownDestination(target)
    }
}
