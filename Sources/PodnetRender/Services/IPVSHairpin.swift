import PodnetAddress
import PodnetKernelModel

/// An endpoint on this node that may reach itself through its service (seed 003
/// §5, case 3). IPVS sends the connection back to the endpoint from the endpoint's
/// own address; the endpoint would drop that packet as a martian (IPv4: a source
/// that is its own) or answer it to itself directly (IPv6, where the answer never
/// passes the node to be rewritten back), so the node masquerades it: the endpoint
/// sees the node's bridge address as the client, answers it, and the node undoes
/// both rewrites. Each family has its own entries (IPv6's in the ip6 table).
///
/// kube-proxy keeps these in the ipset `KUBE-LOOP-BACK` (hash:ip,port,ip: endpoint,
/// protocol:port, endpoint) matched in nat POSTROUTING with `dst,dst,src`. podnet
/// gives them as data; `IPVSNFTablesRuleset` and `iptablesRules` say the exact rules.
/// The rules see IPVS's packets only with `net.ipv4.vs.conntrack=1`.
public struct IPVSHairpin: Hashable, Sendable, Comparable, Codable {
    public var endpoint: IPAddress
    public var `protocol`: IPVSProtocol
    /// The endpoint's port (the service port's target port).
    public var port: UInt16

    public init(endpoint: IPAddress, protocol: IPVSProtocol, port: UInt16) {
        self.endpoint = endpoint
        self.protocol = `protocol`
        self.port = port
    }

    public init(endpoint: IPv4Address, protocol: IPVSProtocol, port: UInt16) {
        self.init(endpoint: .v4(endpoint), protocol: `protocol`, port: port)
    }

    public static func < (lhs: IPVSHairpin, rhs: IPVSHairpin) -> Bool {
        (lhs.endpoint, lhs.port, lhs.protocol.rawValue) < (rhs.endpoint, rhs.port, rhs.protocol.rawValue)
    }

    /// The nft set element: destination address . protocol . destination port . source address.
    public var nftablesElement: String { "\(endpoint) . \(`protocol`.rawValue.lowercased()) . \(port) . \(endpoint)" }

    /// The same as one iptables (ip6tables) rule of the nat table (no ipset needed).
    public var iptablesRule: String {
        "-A POSTROUTING -s \(endpoint.iptablesHost) -d \(endpoint.iptablesHost) -p \(`protocol`.rawValue.lowercased()) -m \(`protocol`.rawValue.lowercased()) --dport \(port) -j MASQUERADE"
    }

    /// `iptables-restore --noflush` input for the same rules, in the nat table.
    public static func iptablesRules(entries: [IPVSHairpin]) -> [String] {
        entries.sorted().map(\.iptablesRule)
    }
}
