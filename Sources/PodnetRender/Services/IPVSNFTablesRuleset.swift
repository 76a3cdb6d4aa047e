import PodnetAddress

/// The netfilter rules ipvs mode needs beside IPVS, as one `nft -f` table per node:
///
///     table ip TABLE {
///         set hairpin { type ipv4_addr . inet_proto . inet_service . ipv4_addr; elements = { … } }
///         set no-endpoint-services { type ipv4_addr . inet_proto . inet_service; elements = { … } }
///         chain nat-postrouting {
///             type nat hook postrouting priority srcnat; policy accept;
///             ip daddr . meta l4proto . th dport . ip saddr @hairpin masquerade
///         }
///         chain filter-input {
///             type filter hook input priority filter; policy accept;
///             meta l4proto tcp ip daddr . meta l4proto . th dport @no-endpoint-services reject with tcp reset
///             ip daddr . meta l4proto . th dport @no-endpoint-services reject
///         }
///     }
///
/// Names as kube-proxy's nftables mode has them (`no-endpoint-services`, base
/// chains named by type and hook). Empty sets are kept, so that a later change only
/// edits elements.
public enum IPVSNFTablesRuleset {
    public static let hairpinSet = "hairpin"
    public static let noEndpointsSet = "no-endpoint-services"
    public static let natPostrouting = "nat-postrouting"
    public static let filterInput = "filter-input"

    /// - Parameter podEgress: with `network.masquerade`, the cluster CIDR: pod traffic
    ///   leaving it is masqueraded in `nat-postrouting`.
    public static func text(table: String, hairpins: [IPVSHairpin], rejections: [IPVSRejection], podEgress: IPv4Prefix? = nil) -> String {
        func elements(_ items: [String]) -> [String] {
            items.isEmpty ? [] : ["\t\telements = { " + items.joined(separator: ", ") + " }"]
        }
        let lines = ["table ip \(table) {", "\tset \(hairpinSet) {", "\t\ttype ipv4_addr . inet_proto . inet_service . ipv4_addr"]
            + elements(hairpins.sorted().map(\.nftablesElement))
            + ["\t}", "\tset \(noEndpointsSet) {", "\t\ttype ipv4_addr . inet_proto . inet_service"]
            + elements(rejections.sorted().map(\.nftablesElement))
            + [
                "\t}",
                "\tchain \(natPostrouting) {",
                "\t\ttype nat hook postrouting priority srcnat; policy accept;",
                "\t\tip daddr . meta l4proto . th dport . ip saddr @\(hairpinSet) masquerade",
            ]
            + (podEgress.map { ["\t\tip saddr \($0) ip daddr != \($0) masquerade"] } ?? [])
            + [
                "\t}",
                "\tchain \(filterInput) {",
                "\t\ttype filter hook input priority filter; policy accept;",
                "\t\tmeta l4proto tcp ip daddr . meta l4proto . th dport @\(noEndpointsSet) reject with tcp reset",
                "\t\tip daddr . meta l4proto . th dport @\(noEndpointsSet) reject",
                "\t}",
                "}",
            ]
        return lines.joined(separator: "\n") + "\n"
    }
}
