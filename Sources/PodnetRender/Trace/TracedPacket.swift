import PodnetAddress

/// The packet `podnet trace` follows: the fields nf_tables rules and routes look
/// at, as they stand at the current hop (NAT rewrites them on the way).
public struct TracedPacket: Hashable, Sendable, CustomStringConvertible {
    public enum TransportProtocol: UInt8, Sendable {
        case icmp = 1
        /// IP-in-IP: an outer packet carrying another.
        case ipip = 4
        case tcp = 6
        case udp = 17

        public var name: String {
            switch self {
            case .icmp: "ICMP"
            case .ipip: "IPIP"
            case .tcp: "TCP"
            case .udp: "UDP"
            }
        }
    }

    public var source: IPv4Address
    public var destination: IPv4Address
    public var `protocol`: TransportProtocol
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The packet mark (`meta mark`), which the proxy's rules set for masquerade.
    public var mark: UInt32 = 0

    public init(source: IPv4Address, destination: IPv4Address, protocol: TransportProtocol,
                sourcePort: UInt16 = 40000, destinationPort: UInt16 = 0) {
        self.source = source
        self.destination = destination
        self.protocol = `protocol`
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// The reply's packet: source and destination (addresses and ports) swapped.
    public var reversed: TracedPacket {
        var reply = TracedPacket(source: destination, destination: source, protocol: `protocol`,
                                 sourcePort: destinationPort, destinationPort: sourcePort)
        reply.mark = 0
        return reply
    }

    /// `10.200.0.2:40000 → 10.96.0.1:80/TCP`, `10.200.0.2 → 10.200.1.2 ICMP echo`.
    public var description: String {
        if `protocol` == .icmp { return "\(source) → \(destination) ICMP echo" }
        if `protocol` == .ipip { return "\(source) → \(destination) IPIP" }
        return "\(source):\(sourcePort) → \(destination):\(destinationPort)/\(`protocol`.name)"
    }

    /// The IPv4 header's bytes rules load (`ip saddr` at 12, `ip daddr` at 16,
    /// `ip protocol` at 9), in network order.
    var networkHeader: [UInt8] {
        var header = [UInt8](repeating: 0, count: 20)
        header[0] = 0x45
        header[9] = `protocol`.rawValue
        header.replaceSubrange(12..<16, with: source.bytes)
        header.replaceSubrange(16..<20, with: destination.bytes)
        return header
    }

    /// The transport header's first bytes (`th sport` at 0, `th dport` at 2).
    var transportHeader: [UInt8] {
        guard `protocol` == .tcp || `protocol` == .udp else { return [8, 0, 0, 0] }
        return [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
    }
}
