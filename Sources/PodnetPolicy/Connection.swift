import PodnetAddress
import PodnetTopology

/// One end of a connection the evaluator is asked about.
public enum PolicyEndpoint: Hashable, Sendable, CustomStringConvertible {
    case pod(String)
    /// A node itself (its own processes), by name.
    case node(String)
    /// Any address: a pod's or a node's is taken as that pod or node; any other is
    /// outside the cluster's pods (a client, a host on the internet).
    case address(IPAddress)

    public static func address(_ address: IPv4Address) -> PolicyEndpoint { .address(.v4(address)) }

    /// What a user writes on a command line (`check --explain SRC DST PORT`): a pod's
    /// or node's name, a lab client's name (its address), or an address of either
    /// family. Names
    /// are unique among pods, nodes and clients, so one word is never ambiguous.
    public init?(_ text: String, in topology: Topology) {
        if topology.pod(named: text) != nil {
            self = .pod(text)
        } else if topology.node(named: text) != nil {
            self = .node(text)
        } else if let client = topology.clients.first(where: { $0.name == text }),
                  let address = client.address(.ipv4) ?? client.address(.ipv6) {
            self = .address(address)
        } else if let address = IPAddress(text) {
            self = .address(address)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .pod(let name): return name
        case .node(let name): return "node \(name)"
        case .address(let address): return "\(address)"
        }
    }
}

/// A new connection (the first packet of a flow): from `source` to `destination`
/// on the destination's `port`. Replies of an allowed connection always pass, so
/// they are never asked about.
public struct Connection: Hashable, Sendable, CustomStringConvertible {
    public var source: PolicyEndpoint
    public var destination: PolicyEndpoint
    /// The port at the destination: for a service, the endpoint's target port, as
    /// policies see traffic after the service's DNAT.
    public var port: Int
    public var `protocol`: PortProtocol
    /// A protocol without ports (an ICMP echo): only a rule that lists no ports
    /// matches it, as Kubernetes' `ports` speak of TCP, UDP and SCTP alone. `port`
    /// and `protocol` are then meaningless.
    public var isPortless: Bool
    /// The family the connection is made in: which of a pod's or node's addresses
    /// it uses, and so which `ipBlock` peers can match it (those of its family
    /// alone). An `.address` end of the other family takes its own: a connection
    /// is of one family, and the first address end found decides.
    public var family: AddressFamily

    public init(from source: PolicyEndpoint, to destination: PolicyEndpoint, port: Int, protocol: PortProtocol = .tcp,
                family: AddressFamily? = nil) {
        self.source = source
        self.destination = destination
        self.port = port
        self.protocol = `protocol`
        isPortless = false
        self.family = family ?? Self.family(of: source, destination)
    }

    /// An ICMP echo (ICMPv6 in IPv6) from `source` to `destination`.
    public static func echo(from source: PolicyEndpoint, to destination: PolicyEndpoint, family: AddressFamily? = nil) -> Connection {
        var connection = Connection(from: source, to: destination, port: 0, family: family)
        connection.isPortless = true
        return connection
    }

    /// The family of the first address end; IPv4 between names.
    static func family(of ends: PolicyEndpoint...) -> AddressFamily {
        for case .address(let address) in ends { return address.family }
        return .ipv4
    }

    public var description: String {
        if isPortless { return "\(source) → \(destination) \(family == .ipv4 ? "ICMP" : "ICMPv6") echo" }
        return "\(source) → \(destination) \(port)/\(`protocol`.rawValue)" + (family == .ipv4 ? "" : " over IPv6")
    }
}
