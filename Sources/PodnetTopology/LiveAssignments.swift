import PodnetAddress

/// Addresses a live cluster already uses, by object name. Allocation keeps them,
/// so that adding or removing a pod or node never renumbers another live one.
/// A fresh cluster passes `.none`; the reconciler reads these from the kernel.
public struct LiveAssignments: Sendable, Equatable {
    public var nodeAddresses: [String: IPv4Address]
    public var podCIDRs: [String: IPv4Prefix]
    public var podIPs: [String: IPv4Address]
    public var clusterIPs: [String: IPv4Address]
    /// NodePorts in use, by `nodePortKey(service:port:protocol:)`.
    public var nodePorts: [String: Int]
    /// Lab clients' underlay addresses, by client name.
    public var clientAddresses: [String: IPv4Address]

    public init(nodeAddresses: [String: IPv4Address] = [:], podCIDRs: [String: IPv4Prefix] = [:],
                podIPs: [String: IPv4Address] = [:], clusterIPs: [String: IPv4Address] = [:],
                nodePorts: [String: Int] = [:], clientAddresses: [String: IPv4Address] = [:]) {
        self.nodeAddresses = nodeAddresses
        self.podCIDRs = podCIDRs
        self.podIPs = podIPs
        self.clusterIPs = clusterIPs
        self.nodePorts = nodePorts
        self.clientAddresses = clientAddresses
    }

    /// The key of a service port's NodePort: `SERVICE/PROTOCOL/PORT`, as in `web/TCP/80`.
    public static func nodePortKey(service: String, port: Int, protocol: ServicePort.TransportProtocol) -> String {
        "\(service)/\(`protocol`.rawValue)/\(port)"
    }

    public static let none = LiveAssignments()
}
