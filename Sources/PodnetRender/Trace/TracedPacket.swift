import PodnetAddress

/// The packet `podnet trace` follows: the fields nf_tables rules and routes look
/// at, as they stand at the current hop (NAT rewrites them on the way). Either
/// family: its addresses' (NAT never changes it).
public struct TracedPacket: Hashable, Sendable, CustomStringConvertible {
    public enum TransportProtocol: UInt8, Sendable {
        case icmp = 1
        /// IP-in-IP: an outer packet carrying another.
        case ipip = 4
        case tcp = 6
        case udp = 17
        /// 6in4 (sit): an outer IPv4 packet carrying an IPv6 one.
        case ipv6 = 41
        case icmpv6 = 58

        public var name: String {
            switch self {
            case .icmp: "ICMP"
            case .ipip: "IPIP"
            case .tcp: "TCP"
            case .udp: "UDP"
            case .ipv6: "6in4"
            case .icmpv6: "ICMPv6"
            }
        }

        /// An echo request's protocol in `family`.
        public static func echo(_ family: AddressFamily) -> TransportProtocol {
            family == .ipv4 ? .icmp : .icmpv6
        }
    }

    public var source: IPAddress
    public var destination: IPAddress
    public var `protocol`: TransportProtocol
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The packet mark (`meta mark`), which the proxy's rules set for masquerade.
    public var mark: UInt32 = 0

    /// - Precondition: `source` and `destination` are of one family.
    public init(source: IPAddress, destination: IPAddress, protocol: TransportProtocol,
                sourcePort: UInt16 = 40000, destinationPort: UInt16 = 0) {
        precondition(source.family == destination.family, "a packet's addresses are of one family")
        self.source = source
        self.destination = destination
        self.protocol = `protocol`
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public init(source: IPv4Address, destination: IPv4Address, protocol: TransportProtocol,
                sourcePort: UInt16 = 40000, destinationPort: UInt16 = 0) {
        self.init(source: .v4(source), destination: .v4(destination), protocol: `protocol`,
                  sourcePort: sourcePort, destinationPort: destinationPort)
    }

    public var family: AddressFamily { destination.family }

    /// An ICMP or ICMPv6 echo request (no ports).
    public var isEcho: Bool { `protocol` == .icmp || `protocol` == .icmpv6 }

    /// The reply's packet: source and destination (addresses and ports) swapped.
    public var reversed: TracedPacket {
        var reply = TracedPacket(source: destination, destination: source, protocol: `protocol`,
                                 sourcePort: destinationPort, destinationPort: sourcePort)
        reply.mark = 0
        return reply
    }

    /// `10.200.0.2:40000 → 10.96.0.1:80/TCP`, `[fd00:200::2]:40000 → [fd00:96::1]:80/TCP`,
    /// `10.200.0.2 → 10.200.1.2 ICMP echo`.
    public var description: String {
        if isEcho { return "\(source) → \(destination) \(`protocol`.name) echo" }
        if `protocol` == .ipip || `protocol` == .ipv6 { return "\(source) → \(destination) \(`protocol`.name)" }
        return "\(Self.endpoint(source, sourcePort)) → \(Self.endpoint(destination, destinationPort))/\(`protocol`.name)"
    }

    /// `ADDRESS:PORT`, in brackets for IPv6.
    static func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
        address.family == .ipv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// The network header's bytes rules load, in network order: IPv4's (`ip saddr` at
    /// 12, `ip daddr` at 16, `ip protocol` at 9) or IPv6's (`ip6 nexthdr` at 6,
    /// `ip6 saddr` at 8, `ip6 daddr` at 24).
    var networkHeader: [UInt8] {
        switch family {
        case .ipv4:
            var header = [UInt8](repeating: 0, count: 20)
            header[0] = 0x45
            header[9] = `protocol`.rawValue
            header.replaceSubrange(12..<16, with: source.bytes)
            header.replaceSubrange(16..<20, with: destination.bytes)
            return header
        case .ipv6:
            var header = [UInt8](repeating: 0, count: 40)
            header[0] = 0x60
            header[6] = `protocol`.rawValue
            header[7] = 64
            header.replaceSubrange(8..<24, with: source.bytes)
            header.replaceSubrange(24..<40, with: destination.bytes)
            return header
        }
    }

    /// The transport header's first bytes (`th sport` at 0, `th dport` at 2); an echo
    /// request's type and code otherwise.
    var transportHeader: [UInt8] {
        guard `protocol` == .tcp || `protocol` == .udp else { return [`protocol` == .icmpv6 ? 128 : 8, 0, 0, 0] }
        return [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
    }
}
