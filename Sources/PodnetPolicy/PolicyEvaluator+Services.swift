import PodnetAddress
import PodnetTopology

extension PolicyEvaluator {
    /// One endpoint of a service connection and the policies' verdict on it.
    public struct ServiceEndpointVerdict: Equatable, Sendable {
        public var endpoint: String
        public var targetPort: Int
        public var verdict: PolicyVerdict
    }

    /// A connection to a service's ClusterIP (or NodePort, external IP) on `port`:
    /// policies see it after the service's DNAT, as Kubernetes requires, so each
    /// endpoint pod is judged on its target port. Empty for an unknown service or
    /// port, or a service without endpoints. Which endpoint a connection reaches is
    /// the proxy's choice: a probe that must succeed needs every verdict allowed;
    /// one that must fail, none.
    public func verdicts(from source: PolicyEndpoint, toService name: String, port: Int,
                         protocol: ServicePort.TransportProtocol = .tcp, family: AddressFamily? = nil) -> [ServiceEndpointVerdict] {
        guard let service = topology.services.first(where: { $0.name == name }),
              let servicePort = service.ports.first(where: { $0.port == port && $0.protocol == `protocol` }) else { return [] }
        let proto: PortProtocol = `protocol` == .tcp ? .tcp : .udp
        return service.endpoints.map { endpoint in
            ServiceEndpointVerdict(endpoint: endpoint, targetPort: servicePort.targetPort,
                                   verdict: verdict(from: source, to: .pod(endpoint), port: servicePort.targetPort, protocol: proto, family: family))
        }
    }
}
