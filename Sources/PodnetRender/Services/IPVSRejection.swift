import PodnetAddress
import PodnetKernelModel

/// A virtual server of a service without endpoints, to refuse at once: a ClusterIP
/// port, and the service's NodePorts and external-IP ports alike (as kube-proxy
/// rejects them all).
///
/// IPVS alone refuses it too: a virtual server without real servers answers the
/// first packet with ICMP port unreachable. But a client on the same kernel (every
/// pod of the lab, and every pod of a real node, whose ClusterIP traffic its own
/// node handles) gets that ICMP back synchronously, in the softirq run by its own
/// connect() while it still holds the socket lock; TCP then drops the ICMP
/// (TcpExt LockDroppedIcmps) and the connection fails only on the SYN's retransmit,
/// a second later (found in the full-kernel lane). A TCP reset, which TCP queues
/// while the socket is locked, refuses the first SYN: so TCP ports get a filter
/// rule `reject with tcp reset`, on the input hook, ahead of IPVS (LOCAL_IN,
/// priority 99). UDP ports get `reject` (ICMP port unreachable), as IPVS would.
public struct IPVSRejection: Hashable, Sendable, Comparable, Codable {
    public var address: IPAddress
    public var `protocol`: IPVSProtocol
    public var port: UInt16

    public init(address: IPAddress, protocol: IPVSProtocol, port: UInt16) {
        self.address = address
        self.protocol = `protocol`
        self.port = port
    }

    public init(address: IPv4Address, protocol: IPVSProtocol, port: UInt16) {
        self.init(address: .v4(address), protocol: `protocol`, port: port)
    }

    public static func < (lhs: IPVSRejection, rhs: IPVSRejection) -> Bool {
        (lhs.address, lhs.port, lhs.protocol.rawValue) < (rhs.address, rhs.port, rhs.protocol.rawValue)
    }

    /// The nft set element: destination address . protocol . destination port.
    public var nftablesElement: String { "\(address) . \(`protocol`.rawValue.lowercased()) . \(port)" }

    /// The same as one iptables (ip6tables) rule of the filter table.
    public var iptablesRule: String {
        let name = `protocol`.rawValue.lowercased()
        let with = `protocol` == .tcp ? "tcp-reset" : address.family.portUnreachable
        return "-A INPUT -d \(address.iptablesHost) -p \(name) -m \(name) --dport \(port) -j REJECT --reject-with \(with)"
    }

    public static func iptablesRules(entries: [IPVSRejection]) -> [String] {
        entries.sorted().map(\.iptablesRule)
    }
}
