import PodnetAddress
import PodnetYAML

/// The IPv6 side of services: which families each service has (`ipFamilies`), and
/// its IPv6 ClusterIP from the IPv6 serviceCIDR.
extension ServiceResolver {
    /// The families of a service, primary first: `ipFamilies` as written; else the
    /// order of its `clusterIP` list when it writes both; else serviceCIDR's (the one
    /// family it has, or both in its order). nil after an error. Also nil, silently,
    /// in a cluster without an IPv6 serviceCIDR, where every service is `[IPv4]`, as
    /// it always was.
    func families(_ spec: ServiceSpec, service: String, serviceCIDR: Located<IPv4Prefix>?,
                  serviceCIDRv6: Located<IPv6Prefix>?, primary: AddressFamily) -> (ok: Bool, families: [AddressFamily]?) {
        let written = spec.ipFamilies?.value
        let fromClusterIPs: [AddressFamily]? = spec.clusterIP != nil && spec.clusterIPv6 != nil
            ? (spec.clusterIPPrimary == .ipv6 ? [.ipv6, .ipv4] : [.ipv4, .ipv6]) : nil
        let cidrFamilies: [AddressFamily] = switch (serviceCIDR, serviceCIDRv6) {
        case (_, nil): [.ipv4]
        case (nil, _): [.ipv6]
        default: primary == .ipv6 ? [.ipv6, .ipv4] : [.ipv4, .ipv6]
        }
        let families = written ?? fromClusterIPs ?? cidrFamilies
        let mark = spec.ipFamilies?.mark ?? spec.clusterIPv6?.mark ?? spec.clusterIP?.mark ?? spec.mark
        if families.contains(.ipv6), serviceCIDRv6 == nil, let serviceCIDR {
            let asked = spec.ipFamilies != nil ? "ipFamilies asks for IPv6" : "clusterIP \(spec.clusterIPv6!.value) is IPv6"
            log.error(mark, "service '\(service)': \(asked), but serviceCIDR \(serviceCIDR.value) has no IPv6 prefix; add one, like 'serviceCIDR: [\(serviceCIDR.value), fd00:96::/112]', or ask for IPv4 only")
            return (false, nil)
        }
        if families.contains(.ipv4), serviceCIDR == nil, let serviceCIDRv6 {
            let asked = spec.ipFamilies != nil ? "ipFamilies asks for IPv4" : "clusterIP \(spec.clusterIP!.value) is IPv4"
            log.error(mark, "service '\(service)': \(asked), but serviceCIDR \(serviceCIDRv6.value) has no IPv4 prefix; add one, like 'serviceCIDR: [\(serviceCIDRv6.value), 10.96.0.0/12]', or ask for IPv6 only")
            return (false, nil)
        }
        if let ipv6 = spec.clusterIPv6, !families.contains(.ipv6) {
            log.error(ipv6.mark, "service '\(service)' clusterIP \(ipv6.value) is IPv6, but its ipFamilies is [IPv4]; add IPv6 to ipFamilies or remove the address")
            return (false, nil)
        }
        if let ipv4 = spec.clusterIP, !families.contains(.ipv4) {
            log.error(ipv4.mark, "service '\(service)' clusterIP \(ipv4.value) is IPv4, but its ipFamilies is [IPv6]; add IPv4 to ipFamilies or remove the address")
            return (false, nil)
        }
        // An external IP is served by its family's proxy rules: the service must have it.
        if let external = spec.externalIPs?.value.first(where: { !families.contains($0.value.family) }) {
            let has = families.map(\.name).joined(separator: ", ")
            log.error(external.mark, "service '\(service)' external IP \(external.value) is \(external.value.family.name), but the service has no \(external.value.family.name) ClusterIP (its families are [\(has)]); remove it, or give the service that family")
            return (false, nil)
        }
        if let written, let fromClusterIPs, written != fromClusterIPs {
            log.error(min(spec.clusterIP!.mark, spec.clusterIPv6!.mark),
                      "service '\(service)' lists its clusterIPs as \(fromClusterIPs.map(\.name).joined(separator: ", ")) but ipFamilies as \(written.map(\.name).joined(separator: ", ")); write both in the same order, primary first")
            return (false, nil)
        }
        return (true, serviceCIDRv6 == nil ? nil : families)
    }

    /// IPv6 ClusterIPs for the services whose families hold IPv6: written, live
    /// (sticky), then the next free host of the IPv6 serviceCIDR.
    func allocateClusterIPv6(_ specs: [ServiceSpec], families: [String: [AddressFamily]], serviceCIDR: IPv6Prefix?) -> [String: IPv6Address] {
        guard let serviceCIDR else { return [:] }
        let wanting = specs.filter { families[$0.name!.value]?.contains(.ipv6) == true }
        var pool = IPv6AddressPool(prefix: serviceCIDR)
        var result: [String: IPv6Address] = [:]
        var owners: [IPv6Address: Located<String>] = [:]
        for spec in wanting {
            guard let ip = spec.clusterIPv6, let name = spec.name else { continue }
            if !serviceCIDR.contains(ip.value) {
                log.error(ip.mark, "service '\(name.value)' clusterIP \(ip.value) is outside the IPv6 serviceCIDR \(serviceCIDR)")
            } else if !pool.isHost(ip.value) {
                log.error(ip.mark, "service '\(name.value)' clusterIP \(ip.value) is the subnet-router anycast address of serviceCIDR \(serviceCIDR) (its first address)")
            } else if let owner = owners[ip.value] {
                log.error(ip.mark, "clusterIP \(ip.value) is already the address of service '\(owner.value)' (line \(owner.mark.line))")
            } else {
                owners[ip.value] = name
                pool.reserve(ip.value)
                result[name.value] = ip.value
            }
        }
        var pending: [ServiceSpec] = []
        for spec in wanting where spec.clusterIPv6 == nil {
            let name = spec.name!.value
            if let ip = live.clusterIPsV6[name], pool.isHost(ip), !pool.isTaken(ip) {
                pool.reserve(ip)
                result[name] = ip
            } else {
                pending.append(spec)
            }
        }
        for spec in pending {
            guard let ip = pool.next() else {
                log.error(spec.mark, "no free address left in the IPv6 serviceCIDR \(serviceCIDR) for service '\(spec.name!.value)'")
                continue
            }
            result[spec.name!.value] = ip
        }
        return result
    }
}
