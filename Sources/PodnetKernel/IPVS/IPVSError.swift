import Glibc
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// Why IPVS could not be read or changed, in a user's words.
public enum IPVSError: Error, Sendable {
    /// The kernel has no IPVS: "the kernel has no IPVS (CONFIG_IP_VS, module ip_vs)".
    case missing(MissingGenericFamily)
    /// The namespace could not be entered.
    case namespace(NamespaceRef, String)
    /// The kernel refused a change; `command` is its `ipvsadm` line.
    case refused(command: String, NetlinkError)
    /// Reading or talking to the kernel failed.
    case netlink(NetlinkError)
}

extension IPVSError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missing(let missing):
            return missing.description
        case .namespace(let namespace, let reason):
            return "cannot open a generic netlink socket in namespace \(namespace): \(reason)"
        case .refused(let command, let error):
            if let scheduler = IPVSError.missingScheduler(command: command, error: error) {
                return "\(command): the kernel has no IPVS scheduler '\(scheduler)' (CONFIG_IP_VS_\(scheduler.uppercased()), module ip_vs_\(scheduler))"
            }
            return "\(command): \(error)"
        case .netlink(let error):
            return error.description
        }
    }

    /// A new service refused with ENOENT: its scheduler module does not exist
    /// (the kernel tried `request_module("ip_vs_NAME")` first).
    static func missingScheduler(command: String, error: NetlinkError) -> String? {
        guard error.code == ENOENT, command.contains("ipvsadm -A ") else { return nil }
        let words = command.split(separator: " ")
        guard let index = words.firstIndex(of: "-s"), index + 1 < words.count else { return nil }
        return String(words[index + 1])
    }
}
