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
    /// The IPv6 sides of a dual-stack cluster, by the same names: kept like the IPv4
    /// ones, so that adding or removing a node or pod renumbers no other's IPv6 address.
    public var nodeAddressesV6: [String: IPv6Address]
    public var clientAddressesV6: [String: IPv6Address] = [:]
    public var podCIDRsV6: [String: IPv6Prefix]
    public var podIPsV6: [String: IPv6Address]
    public var clusterIPsV6: [String: IPv6Address]

    public init(nodeAddresses: [String: IPv4Address] = [:], podCIDRs: [String: IPv4Prefix] = [:],
                podIPs: [String: IPv4Address] = [:], clusterIPs: [String: IPv4Address] = [:],
                nodePorts: [String: Int] = [:], clientAddresses: [String: IPv4Address] = [:],
                nodeAddressesV6: [String: IPv6Address] = [:], podCIDRsV6: [String: IPv6Prefix] = [:],
                podIPsV6: [String: IPv6Address] = [:], clusterIPsV6: [String: IPv6Address] = [:]) {
        self.nodeAddresses = nodeAddresses
        self.podCIDRs = podCIDRs
        self.podIPs = podIPs
        self.clusterIPs = clusterIPs
        self.nodePorts = nodePorts
        self.clientAddresses = clientAddresses
        self.nodeAddressesV6 = nodeAddressesV6
        self.podCIDRsV6 = podCIDRsV6
        self.podIPsV6 = podIPsV6
        self.clusterIPsV6 = clusterIPsV6
    }

    /// The key of a service port's NodePort: `SERVICE/PROTOCOL/PORT`, as in `web/TCP/80`.
    public static func nodePortKey(service: String, port: Int, protocol: ServicePort.TransportProtocol) -> String {
        "\(service)/\(`protocol`.rawValue)/\(port)"
    }

    public static let none = LiveAssignments()
}
