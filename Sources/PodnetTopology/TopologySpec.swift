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
    var name: Located<String>?
    var clusterCIDR: Located<IPv4Prefix>?
    var serviceCIDR: Located<IPv4Prefix>?
    var backend: Located<Network.Backend>?
    var mtu: Located<Int>?
    var masquerade: Located<Bool>?
    var vxlanMark: SourceMark?
    var vni: Located<Int>?
    var vxlanPort: Located<Int>?
    var discovery: Located<VXLAN.Discovery>?
    var group: Located<IPv4Address>?
    var proxyMode: Located<Proxy.Mode>?
    var underlayCIDR: Located<IPv4Prefix>?
    var nodesMark: SourceMark?
    var nodes: [NodeSpec] = []
    var pods: [PodSpec] = []
    var links: [LinkSpec] = []
    var services: [ServiceSpec] = []
}

struct NodeSpec {
    var mark: SourceMark
    var name: Located<String>?
    var address: Located<IPv4Address>?
    var podCIDR: Located<IPv4Prefix>?
    var bridge: Located<String>?
    var interface: Located<String>?
}

struct PodSpec {
    var mark: SourceMark
    var name: Located<String>?
    var node: Located<String>?
    var ip: Located<IPv4Address>?
    var labels: [String: String] = [:]
}

struct LinkSpec {
    var mark: SourceMark
    var pods: [Located<String>]?
}

struct ServiceSpec {
    var mark: SourceMark
    var name: Located<String>?
    var clusterIP: Located<IPv4Address>?
    var selector: Located<[String: String]>?
    var endpoints: Located<[Located<String>]>?
    var ports: Located<[PortSpec]>?
}

struct PortSpec {
    var mark: SourceMark
    var port: Located<Int>?
    var targetPort: Located<Int>?
    var `protocol`: Located<ServicePort.TransportProtocol>?
}
