import PodnetAddress
import PodnetTopology

/// Which virtual servers one service port gets on one node in ipvs mode, with which
/// real servers, and what the node's netfilter rules do with their traffic — the
/// policies of TOPOLOGY.md's "Traffic from outside the cluster", as kube-proxy's
/// ipvs mode applies them:
///
/// | virtual server | real servers | netfilter |
/// |---|---|---|
/// | ClusterIP:port | every endpoint; `internalTrafficPolicy: Local`: this node's | none; Local without one here: dropped |
/// | node address:nodePort, external IP:port, `externalTrafficPolicy: Cluster` | every endpoint | marked for masquerade: the endpoint sees the node's address, and its answer comes back through this node |
/// | the same, `Local` | this node's endpoints | none: the endpoint sees the client's address; without one here: dropped |
/// | any, the service has no endpoints | none | refused (`IPVSRejection`) |
///
/// Dropped, not left to IPVS: a virtual server without real servers answers with
/// ICMP port unreachable (`ip_vs_leave`), which a client takes as a refusal; kube-proxy's
/// other modes drop traffic a `Local` policy has no endpoint for here, so that the
/// client retries elsewhere (a load balancer's health check has marked the node down).
struct IPVSExternalTraffic {
    enum Handling: Equatable {
        /// To the real servers as they are.
        case balanced
        /// To the real servers, masqueraded (`externalTrafficPolicy: Cluster`).
        case masqueraded
        /// The service has no endpoints at all.
        case refused
        /// A `Local` policy and no endpoint on this node.
        case dropped
    }

    struct VirtualServer: Equatable {
        var address: IPAddress
        var port: UInt16
        var endpoints: [Pod]
        var handling: Handling
    }

    let service: Service
    let endpoints: [Pod]
    let local: [Pod]

    /// - Parameter endpoints: the service's endpoint pods; `node`: the node rendered.
    init(service: Service, endpoints: [Pod], node: String) {
        self.service = service
        self.endpoints = endpoints
        local = endpoints.filter { $0.node == node }
    }

    /// The virtual servers of `family`: the ClusterIP's, then the external IPs' in
    /// the file's order, then the NodePort's (on `nodeAddress`, when the node has one
    /// of the family) when the service is a NodePort and the port has one. None
    /// when the service lacks the family.
    func virtualServers(port: ServicePort, family: AddressFamily, nodeAddress: IPAddress?) -> [VirtualServer] {
        guard let clusterIP = service.clusterIP(family) else { return [] }
        var servers = [server(clusterIP, UInt16(port.port), policy: service.internalTrafficPolicy, external: false)]
        for address in service.externalIPs(family) {
            servers.append(server(address, UInt16(port.port), policy: service.externalTrafficPolicy, external: true))
        }
        if service.type == .nodePort, let nodePort = port.nodePort, let nodeAddress {
            servers.append(server(nodeAddress, UInt16(nodePort), policy: service.externalTrafficPolicy, external: true))
        }
        return servers
    }

    private func server(_ address: IPAddress, _ port: UInt16, policy: TrafficPolicy, external: Bool) -> VirtualServer {
        guard !endpoints.isEmpty else { return VirtualServer(address: address, port: port, endpoints: [], handling: .refused) }
        switch policy {
        case .local:
            return VirtualServer(address: address, port: port, endpoints: local, handling: local.isEmpty ? .dropped : .balanced)
        case .cluster:
            return VirtualServer(address: address, port: port, endpoints: endpoints, handling: external ? .masqueraded : .balanced)
        }
    }
}
