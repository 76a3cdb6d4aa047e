import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetNetlink
import Synchronization

/// A kernel feature ipvs mode needs and this kernel lacks.
public enum MissingIPVSFeature: Error, Equatable, Sendable {
    /// No IPVS at all (the generic netlink family "IPVS" is not registered, and the
    /// kernel could not load ip_vs).
    case ipvs(MissingGenericFamily)
    /// IPVS without the scheduler (module ip_vs_NAME could not be loaded).
    case scheduler(String)
    /// IPVS built without conntrack support (CONFIG_IP_VS_NFCT): no `net.ipv4.vs.conntrack`.
    case conntrack
    /// IPVS built without IPv6 (CONFIG_IP_VS_IPV6): an AF_INET6 service is refused
    /// with EAFNOSUPPORT (ip_vs_genl_parse_service).
    case ipv6
    /// No `net.bridge.bridge-nf-call-iptables`: the br_netfilter module is not loaded
    /// (the kernel never loads it by itself).
    case bridgeNetfilter
}

extension MissingIPVSFeature: CustomStringConvertible {
    public var description: String {
        switch self {
        case .ipvs(let missing):
            return "\(missing); load it with 'modprobe ip_vs' where the kernel has it"
        case .scheduler(let name):
            return "the kernel has no IPVS scheduler '\(name)' (CONFIG_IP_VS_\(name.uppercased()), module ip_vs_\(name)); load it with 'modprobe ip_vs_\(name)'"
        case .conntrack:
            return "the kernel's IPVS has no conntrack support (CONFIG_IP_VS_NFCT; net.ipv4.vs.conntrack is missing)"
        case .ipv6:
            return "the kernel's IPVS has no IPv6 (CONFIG_IP_VS_IPV6), and the cluster has IPv6 ClusterIPs; give the services 'ipFamilies: [IPv4]', or choose 'proxy: { mode: iptables }'"
        case .bridgeNetfilter:
            return "bridged traffic cannot reach IPVS: br_netfilter is not loaded (CONFIG_BRIDGE_NETFILTER, module br_netfilter); load it with 'modprobe br_netfilter'"
        }
    }
}

extension KernelFeatures {
    /// What ipvs mode needs that this kernel lacks, found by trying in a throwaway
    /// namespace (as `missingLinkKinds` does for `dummy`): the IPVS family is looked
    /// up (loading ip_vs if the kernel can), a service with `scheduler` is created
    /// there (loading ip_vs_SCHEDULER), with `ipv6` an IPv6 one too, and the sysctls
    /// are looked for. Nothing is created anywhere else; the namespace vanishes with its thread.
    public static func missingIPVSFeatures(scheduler: String = "rr", bridgeNetfilter: Bool = true,
                                           ipv6: Bool = false) throws -> [MissingIPVSFeature] {
        let outcome = Mutex<Result<[MissingIPVSFeature], any Error>?>(nil)
        let thread = try JoinableThread(name: "podnet probe") {
            let result = Result { try probeIPVS(scheduler: scheduler, bridgeNetfilter: bridgeNetfilter, ipv6: ipv6) }
            outcome.withLock { $0 = result }
        }
        thread.join()
        return try outcome.withLock { $0! }.get()
    }

    private static func probeIPVS(scheduler: String, bridgeNetfilter: Bool, ipv6: Bool) throws -> [MissingIPVSFeature] {
        try Syscall.unshare(Syscall.cloneNewNet)
        var missing: [MissingIPVSFeature] = []
        if bridgeNetfilter, !Syscall.exists("/proc/sys/net/bridge/bridge-nf-call-iptables") { missing.append(.bridgeNetfilter) }
        let connection = NetlinkConnection(socket: try KernelNetlinkSocket(bus: .generic))
        let family: GenericNetlinkFamily
        switch Result(catching: { () throws(IPVSError) in try IPVSDriver.resolveFamily(on: connection) }) {
        case .success(let resolved): family = resolved
        case .failure(.missing(let absent)): return [.ipvs(absent)] + missing
        case .failure(let error): throw error
        }
        if !Syscall.exists("/proc/sys/net/ipv4/vs/conntrack") { missing.insert(.conntrack, at: 0) }
        // TEST-NET-1 (RFC 5737), in a namespace nobody else sees.
        let probe = IPVSService(id: .init(namespace: .current, protocol: .tcp, address: IPv4Address(192, 0, 2, 1), port: 9),
                                scheduler: scheduler)
        let driver = IPVSDriver(connection: connection, family: family, namespace: .current)
        switch Result(catching: { () throws(IPVSError) in try driver.apply([.addService(probe)]) }) {
        case .success: break
        case .failure(let error) where error.missingScheduler != nil: missing.insert(.scheduler(scheduler), at: 0)
        case .failure(let error): throw error
        }
        guard ipv6 else { return missing }
        // The IPv6 documentation prefix (RFC 3849), likewise.
        let probe6 = IPVSService(id: .init(namespace: .current, protocol: .tcp, address: .v6(IPv6Address("2001:db8::1")!), port: 9),
                                 scheduler: scheduler)
        switch Result(catching: { () throws(IPVSError) in try driver.apply([.addService(probe6)]) }) {
        case .success: break
        case .failure(.refused(_, let error)) where error.code == EAFNOSUPPORT: missing.append(.ipv6)
        case .failure(let error) where error.missingScheduler != nil: break
        case .failure(let error): throw error
        }
        return missing
    }
}
