import PodnetAddress
import PodnetYAML

/// The cluster-wide rules of dual stack (TOPOLOGY.md, "Dual stack"; docs/dual-stack.md):
/// which IPv6 prefixes a file may give, and what lab mode needs of them. Fills the
/// IPv6 side of `TopologyResolver.Prefixes` with those that pass.
struct DualStackChecker {
    let log: DiagnosticLog

    static let example = "[10.200.0.0/16, fd00:200::/48]"

    func check(_ spec: TopologySpec, into prefixes: inout TopologyResolver.Prefixes) {
        // An IPv6-only cluster: its pods, pod CIDRs and services have IPv6 values alone;
        // its nodes keep their IPv4 underlay addresses (the lab's underlay, VXLAN's and
        // sit's outer packets), and may have IPv6 ones too.
        if spec.clusterCIDRv6 != nil, spec.clusterCIDR == nil, !spec.invalid.contains("clusterCIDR") {
            prefixes.ipv6Only = true
        }
        if let service = spec.serviceCIDR, prefixes.ipv6Only {
            log.error(service.mark, "serviceCIDR \(service.value) is IPv4, but the cluster is IPv6-only (clusterCIDR has no IPv4 prefix), so no endpoint has an IPv4 address; add one to clusterCIDR, like 'clusterCIDR: [\(spec.clusterCIDRv6!.value), 10.200.0.0/16]', or remove it")
            prefixes.serviceCIDRRefused = true
        }
        if let underlay = spec.underlayCIDRv6, spec.underlayCIDR == nil, !spec.invalid.contains("underlay.cidr") {
            // Nodes without IPv4 addresses: only IPv6 pods, carried by what runs over IPv6.
            let backend = spec.backend?.value ?? .vxlan
            let discovery = spec.discovery?.value ?? .static
            let fix = "or list an IPv4 prefix too, like 'cidr: [192.168.64.0/24, \(underlay.value)]'"
            if !prefixes.ipv6Only {
                log.error(underlay.mark, "an IPv6-only underlay carries IPv6-only clusters alone, and clusterCIDR has an IPv4 prefix (its pods' IPv4 packets would need IPv4 next hops between the nodes); make the cluster IPv6-only, \(fix)")
                return
            }
            if backend == .ipip {
                log.error(spec.backend?.mark ?? underlay.mark, "backend ipip carries IPv6 pods in sit (6in4), whose outer packets are IPv4, and underlay.cidr has no IPv4 prefix; use host-gw or vxlan, \(fix)")
                return
            }
            if backend == .vxlan, discovery == .multicast {
                log.error(spec.discovery?.mark ?? underlay.mark, "VXLAN multicast discovery joins network.vxlan.group, an IPv4 group, and underlay.cidr has no IPv4 prefix; use 'discovery: static', \(fix)")
                return
            }
        }
        guard let cluster = spec.clusterCIDRv6 else {
            // Every other IPv6 prefix serves IPv6 pods; without them it is a mistake.
            guard spec.clusterCIDR != nil else { return }
            for (field, value) in [("serviceCIDR", spec.serviceCIDRv6), ("underlay.cidr", spec.underlayCIDRv6)] {
                guard let value, !(field == "serviceCIDR" && prefixes.serviceCIDRRefused) else { continue }
                log.error(value.mark, "\(field) \(value.value) is IPv6, but clusterCIDR has no IPv6 prefix, so no pod has an IPv6 address; add one, like 'clusterCIDR: \(Self.example)', or remove it")
            }
            return
        }
        prefixes.clusterV6 = cluster.value
        if let underlay = spec.underlayCIDRv6 {
            if cluster.value.overlaps(underlay.value) {
                log.error(cluster.mark, "clusterCIDR \(cluster.value) overlaps underlay.cidr \(underlay.value) (line \(underlay.mark.line)); pod and node addresses must not collide")
            }
            prefixes.underlayV6 = underlay.value
        }
        if let service = spec.serviceCIDRv6, !prefixes.serviceCIDRRefused {
            if service.value.overlaps(cluster.value) {
                log.error(service.mark, "serviceCIDR \(service.value) overlaps the IPv6 clusterCIDR \(cluster.value) (line \(cluster.mark.line)); ClusterIPs must not collide with pod addresses")
            } else if let underlay = spec.underlayCIDRv6, service.value.overlaps(underlay.value) {
                log.error(service.mark, "serviceCIDR \(service.value) overlaps the IPv6 underlay.cidr \(underlay.value) (line \(underlay.mark.line))")
            }
            // Kept after an overlap, as the IPv4 one is: services asking for IPv6 are
            // not blamed for a serviceCIDR that is there.
            prefixes.serviceV6 = service
        }
        let backend = spec.backend?.value ?? .vxlan
        if backend == .hostGW, spec.underlayCIDRv6 == nil, spec.invalid.isDisjoint(with: ["network", "network.backend", "underlay.cidr"]) {
            // The kernel routes IPv4 via an IPv6 gateway (RFC 5549), not IPv6 via an IPv4 one.
            log.error(spec.backend?.mark ?? cluster.mark, "host-gw routes each node's IPv6 pods via the node's IPv6 address, and underlay.cidr has no IPv6 prefix; add one, like 'underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }', or use the vxlan backend, which carries IPv6 pods over IPv4")
        }
    }
}
