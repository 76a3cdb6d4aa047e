import PodnetAddress
import PodnetYAML

/// A value read from the file, with where it was written.
struct Located<Value> {
    var value: Value
    var mark: SourceMark
}

/// The topology as written: every field optional, every field with its position.
/// Decoding fills it; resolution validates it and allocates what is left out.
struct TopologySpec {
    var mark = SourceMark.start
    /// Fields present but unreadable (already reported). Checks that depend on one
    /// stay silent rather than report a consequence of the same mistake.
    var invalid: Set<String> = []
    var name: Located<String>?
    var clusterCIDR: Located<IPv4Prefix>?
    var serviceCIDR: Located<IPv4Prefix>?
    /// The IPv6 sides of the dual-stack fields, and which family each lists first.
    var clusterCIDRv6: Located<IPv6Prefix>?
    var clusterPrimary: AddressFamily = .ipv4
    var serviceCIDRv6: Located<IPv6Prefix>?
    var servicePrimary: AddressFamily = .ipv4
    var underlayCIDRv6: Located<IPv6Prefix>?
    var backend: Located<Network.Backend>?
    var mtu: Located<Int>?
    var masquerade: Located<Bool>?
    var vxlanMark: SourceMark?
    var vni: Located<Int>?
    var vxlanPort: Located<Int>?
    var discovery: Located<VXLAN.Discovery>?
    var group: Located<IPv4Address>?
    var proxyMode: Located<Proxy.Mode>?
    var nodePortRange: Located<ClosedRange<Int>>?
    var underlayCIDR: Located<IPv4Prefix>?
    /// Where `nodes: []` was written, if it was.
    var emptyNodesMark: SourceMark?
    var nodes: [NodeSpec] = []
    var pods: [PodSpec] = []
    var links: [LinkSpec] = []
    var services: [ServiceSpec] = []
    var clients: [ClientSpec] = []
    var namespaces: [NamespaceSpec] = []
    var networkPolicies: [NetworkPolicySpec] = []
}

struct NodeSpec {
    var mark: SourceMark
    /// Fields present but unreadable (already reported).
    var invalid: Set<String> = []
    var name: Located<String>? = nil
    var address: Located<IPv4Address>? = nil
    var podCIDR: Located<IPv4Prefix>? = nil
    var addressV6: Located<IPv6Address>? = nil
    var podCIDRv6: Located<IPv6Prefix>? = nil
    var bridge: Located<String>? = nil
    var interface: Located<String>? = nil
}

struct PodSpec {
    var mark: SourceMark
    /// Fields present but unreadable (already reported).
    var invalid: Set<String> = []
    var name: Located<String>? = nil
    var node: Located<String>? = nil
    var ip: Located<IPv4Address>? = nil
    var ipv6: Located<IPv6Address>? = nil
    var labels: [String: String] = [:]
    var namespace: Located<String>? = nil
    var ports: Located<[PodPortSpec]>? = nil
}

struct LinkSpec {
    var mark: SourceMark
    var pods: [Located<String>]?
}

struct ServiceSpec {
    var mark: SourceMark
    /// Fields present but unreadable (already reported).
    var invalid: Set<String> = []
    var name: Located<String>? = nil
    var clusterIP: Located<IPv4Address>? = nil
    var clusterIPv6: Located<IPv6Address>? = nil
    /// Which family the clusterIP list gives first (meaningful when it gives both).
    var clusterIPPrimary: AddressFamily = .ipv4
    var ipFamilies: Located<[AddressFamily]>? = nil
    var selector: Located<[String: String]>? = nil
    var endpoints: Located<[Located<String>]>? = nil
    var ports: Located<[PortSpec]>? = nil
    var type: Located<ServiceType>? = nil
    var externalIPs: Located<[Located<IPAddress>]>? = nil
    var externalTrafficPolicy: Located<TrafficPolicy>? = nil
    var internalTrafficPolicy: Located<TrafficPolicy>? = nil
    var sessionAffinity: Located<SessionAffinitySpelling>? = nil
    var sessionAffinityTimeoutSeconds: Located<Int>? = nil
    var namespace: Located<String>? = nil
}

/// `services[].sessionAffinity` as written; the timeout is a separate field, as in
/// Kubernetes, and the two become one `SessionAffinity` in resolution.
enum SessionAffinitySpelling: String, CaseIterable {
    case none = "None"
    case clientIP = "ClientIP"
}

struct PortSpec {
    var mark: SourceMark
    var invalid: Set<String> = []
    var port: Located<Int>? = nil
    var targetPort: Located<Int>? = nil
    var `protocol`: Located<ServicePort.TransportProtocol>? = nil
    var nodePort: Located<Int>? = nil
}

struct ClientSpec {
    var mark: SourceMark
    /// Fields present but unreadable (already reported).
    var invalid: Set<String> = []
    var name: Located<String>? = nil
    var address: Located<IPv4Address>? = nil
    var addressV6: Located<IPv6Address>? = nil
}
