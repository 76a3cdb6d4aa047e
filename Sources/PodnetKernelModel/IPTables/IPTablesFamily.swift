import PodnetAddress

/// What differs between iptables and ip6tables, in the words their tools use.
/// Everything else (tables, built-in chains, matches, targets, the save format) is
/// the same, which is why one renderer, diff and driver serve both families.
extension AddressFamily {
    /// The tool: `iptables` or `ip6tables` (and `…-save`, `…-restore` after it).
    public var iptablesCommand: String { self == .ipv4 ? "iptables" : "ip6tables" }

    /// What a description puts before a table's name: nothing for IPv4, as podnet
    /// always printed it, `ip6 ` for IPv6 (nft's family name for ip6tables' tables).
    public var iptablesPrefix: String { self == .ipv4 ? "" : "ip6 " }

    /// REJECT's "connection refused": ICMP port unreachable, in this family's ICMP
    /// (ip6t_REJECT names it `icmp6-port-unreachable`).
    public var portUnreachable: String { self == .ipv4 ? "icmp-port-unreachable" : "icmp6-port-unreachable" }

    /// The loopback network as iptables-save prints a `-d` match on it.
    public var loopbackNetwork: String { self == .ipv4 ? "127.0.0.0/8" : "::1/128" }

    /// How iptables-save prints the `recent` match's default `--mask`: every bit of
    /// the address.
    public var recentFullMask: String {
        self == .ipv4 ? "255.255.255.255" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    }
}

extension IPAddress {
    /// A one-address match as iptables-save prints it: `10.96.0.2/32`, `fd00:96::2/128`.
    public var iptablesHost: String { "\(self)/\(family.addressBits)" }

    /// `ADDRESS:PORT` as DNAT's `--to-destination` takes it and iptables-save prints
    /// it, and as kube-proxy names an endpoint (Go's net.JoinHostPort): an IPv6
    /// address in brackets, `[fd00:200::2]:8080`.
    public func joined(port: Int) -> String {
        family == .ipv4 ? "\(self):\(port)" : "[\(self)]:\(port)"
    }
}
