import PodnetAddress

/// The netfilter rules ipvs mode needs beside IPVS, as one `nft -f` table per node:
///
///     table ip TABLE {
///         set hairpin { type ipv4_addr . inet_proto . inet_service . ipv4_addr; elements = { … } }
///         set no-endpoint-services { type ipv4_addr . inet_proto . inet_service; elements = { … } }
///         set external-masquerade { type ipv4_addr . inet_proto . inet_service; elements = { … } }
///         set no-local-endpoints { type ipv4_addr . inet_proto . inet_service; elements = { … } }
///         chain nat-prerouting {
///             type nat hook prerouting priority dstnat; policy accept;
///             ip daddr . meta l4proto . th dport @external-masquerade meta mark set meta mark | 0x00004000
///         }
///         chain nat-postrouting {
///             type nat hook postrouting priority srcnat; policy accept;
///             ip daddr . meta l4proto . th dport . ip saddr @hairpin masquerade
///             meta mark & 0x00004000 != 0x00000000 masquerade
///         }
///         chain filter-input {
///             type filter hook input priority filter; policy accept;
///             meta l4proto tcp ip daddr . meta l4proto . th dport @no-endpoint-services reject with tcp reset
///             ip daddr . meta l4proto . th dport @no-endpoint-services reject
///             ip daddr . meta l4proto . th dport @no-local-endpoints drop
///         }
///     }
///
/// Names as kube-proxy's nftables mode has them where it has them
/// (`no-endpoint-services`, base chains named by type and hook, the masquerade mark
/// 0x4000). Empty sets are kept, so that a later change only edits elements.
///
/// IPv6's table is the same in family ip6: `table ip6 TABLE`, `ipv6_addr` keys,
/// `ip6 daddr`/`ip6 saddr`, and `reject` (ICMPv6 port unreachable in family ip6).
public enum IPVSNFTablesRuleset {
    public static let hairpinSet = "hairpin"
    public static let noEndpointsSet = "no-endpoint-services"
    public static let externalMasqueradeSet = "external-masquerade"
    public static let noLocalEndpointsSet = "no-local-endpoints"
    public static let natPrerouting = "nat-prerouting"
    public static let natPostrouting = "nat-postrouting"
    public static let filterInput = "filter-input"
    /// kube-proxy's masquerade bit (`--iptables-masquerade-bit` 14).
    public static let masqueradeMark: UInt32 = 0x4000

    /// - Parameter podEgress: with `network.masquerade`, the cluster CIDR: pod traffic
    ///   leaving it is masqueraded in `nat-postrouting`.
    public static func text(table: String, family: AddressFamily = .ipv4, hairpins: [IPVSHairpin], rejections: [IPVSRejection],
                            masqueraded: [IPVSVirtualAddress] = [], dropped: [IPVSVirtualAddress] = [],
                            podEgress: IPPrefix? = nil) -> String {
        let ip = family == .ipv4 ? "ip" : "ip6"
        let address = family == .ipv4 ? "ipv4_addr" : "ipv6_addr"
        func elements(_ items: [String]) -> [String] {
            items.isEmpty ? [] : ["\t\telements = { " + items.joined(separator: ", ") + " }"]
        }
        func set(_ name: String, _ items: [String]) -> [String] {
            ["\tset \(name) {", "\t\ttype \(address) . inet_proto . inet_service"] + elements(items) + ["\t}"]
        }
        let tuple = "\(ip) daddr . meta l4proto . th dport"
        let lines = ["table \(ip) \(table) {", "\tset \(hairpinSet) {", "\t\ttype \(address) . inet_proto . inet_service . \(address)"]
            + elements(hairpins.sorted().map(\.nftablesElement)) + ["\t}"]
            + set(noEndpointsSet, rejections.sorted().map(\.nftablesElement))
            + set(externalMasqueradeSet, masqueraded.sorted().map(\.nftablesElement))
            + set(noLocalEndpointsSet, dropped.sorted().map(\.nftablesElement))
            + [
                "\tchain \(natPrerouting) {",
                "\t\ttype nat hook prerouting priority dstnat; policy accept;",
                "\t\t\(tuple) @\(externalMasqueradeSet) meta mark set meta mark | \(hex(masqueradeMark))",
                "\t}",
                "\tchain \(natPostrouting) {",
                "\t\ttype nat hook postrouting priority srcnat; policy accept;",
                "\t\t\(tuple) . \(ip) saddr @\(hairpinSet) masquerade",
                "\t\tmeta mark & \(hex(masqueradeMark)) != \(hex(0)) masquerade",
            ]
            + (podEgress.map { ["\t\t\(ip) saddr \($0) \(ip) daddr != \($0) masquerade"] } ?? [])
            + [
                "\t}",
                "\tchain \(filterInput) {",
                "\t\ttype filter hook input priority filter; policy accept;",
                "\t\tmeta l4proto tcp \(tuple) @\(noEndpointsSet) reject with tcp reset",
                "\t\t\(tuple) @\(noEndpointsSet) reject",
                "\t\t\(tuple) @\(noLocalEndpointsSet) drop",
                "\t}",
                "}",
            ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A mark as nft lists it: `0x00004000`.
    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
