import PodnetTopology

/// Which node receives a service's external IPs in a lab. On a real network an L2
/// announcer (MetalLB's layer-2 mode, kube-vip) answers ARP for an external IP from
/// one node it elects among those with an endpoint of the service; a lab has none,
/// so each client routes every external IP to the node such an announcer would
/// elect, chosen here so that every run and every reader agrees: the first node, in
/// declaration order, that hosts an endpoint of the service, or the first node when
/// none does. With `externalTrafficPolicy: Local` that node has a local endpoint
/// whenever the service has any, as an announcer of a Local service guarantees.
public enum ExternalIPAnnouncement {
    public static func node(for service: Service, in topology: Topology) -> Node? {
        let endpointNodes = Set(service.endpoints.compactMap { topology.pod(named: $0)?.node })
        return topology.nodes.first { endpointNodes.contains($0.name) } ?? topology.nodes.first
    }
}
