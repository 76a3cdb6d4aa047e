import Glibc
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// Why IPVS could not be read or changed, in a user's words.
public enum IPVSError: Error, Sendable {
    /// The kernel has no IPVS: "the kernel has no IPVS (CONFIG_IP_VS, module ip_vs)".
    case missing(MissingGenericFamily)
    /// No generic netlink socket could be opened in the namespaces (one is missing…).
    case namespaces([NamespaceRef], String)
    /// The kernel refused a change (described by its `ipvsadm` line).
    case refused(IPVSChange, NetlinkError)
    /// Reading or talking to the kernel failed.
    case netlink(NetlinkError)
}

extension IPVSError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missing(let missing):
            return missing.description
        case .namespaces(let namespaces, let reason):
            return "cannot open generic netlink sockets in \(namespaces.map(\.description).joined(separator: ", ")): \(reason)"
        case .refused(let change, let error):
            let command = IPVSCommandRenderer.command(for: change)
            if let scheduler = missingScheduler {
                return "\(command): the kernel has no IPVS scheduler '\(scheduler)' (CONFIG_IP_VS_\(scheduler.uppercased()), module ip_vs_\(scheduler))"
            }
            return "\(command): \(error)"
        case .netlink(let error):
            return error.description
        }
    }

    /// The scheduler a refused new service names, when the refusal says it does not
    /// exist: IPVS_CMD_NEW_SERVICE answers ENOENT after `request_module("ip_vs_NAME")`
    /// found nothing.
    public var missingScheduler: String? {
        guard case .refused(.addService(let service), let error) = self, error.code == ENOENT else { return nil }
        return service.scheduler
    }
}
