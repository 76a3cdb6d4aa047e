import ArgumentParser
import PodnetAddress

/// `-4` / `-6`, as `ip` spells them: which of a dual-stack cluster's addresses the
/// names on a command line stand for (trace's SRC and DST, check --explain's).
enum AddressFamilyFlag: String, EnumerableFlag {
    case ipv4, ipv6

    static func name(for value: AddressFamilyFlag) -> NameSpecification {
        value == .ipv4 ? [.customShort("4"), .customLong("ipv4")] : [.customShort("6"), .customLong("ipv6")]
    }

    static func help(for value: AddressFamilyFlag) -> ArgumentHelp? {
        value == .ipv4 ? "Names stand for their IPv4 addresses." : "Names stand for their IPv6 addresses (pods', services' ClusterIPs, nodes')."
    }

    var addressFamily: AddressFamily { self == .ipv4 ? .ipv4 : .ipv6 }
}
