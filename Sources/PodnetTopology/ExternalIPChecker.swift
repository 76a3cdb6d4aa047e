import PodnetAddress
import PodnetYAML

/// Checks services' external IPs: addresses outside the cluster that nodes accept
/// a service's ports on. One must not be an address the cluster already routes
/// (pods, ClusterIPs), a node's or a client's, nor a special address; and one
/// address and port serves one service.
struct ExternalIPChecker {
    let log: DiagnosticLog
    /// The cluster's prefixes of each family it has.
    let clusterCIDRs: [IPPrefix]
    let serviceCIDRs: [IPPrefix]
    let underlays: [IPPrefix]
    let nodes: [ResolvedNode]
    let clients: [ResolvedClient]

    /// Addresses no traffic from outside can be for (Kubernetes also refuses them
    /// as external IPs).
    static let special: [(prefix: IPPrefix, what: String)] = [
        (IPPrefix("0.0.0.0/8")!, "an unspecified (\"this network\") address"),
        (IPPrefix("127.0.0.0/8")!, "a loopback address"),
        (IPPrefix("169.254.0.0/16")!, "a link-local address"),
        (IPPrefix("224.0.0.0/4")!, "a multicast address"),
        (IPPrefix("255.255.255.255/32")!, "the broadcast address"),
        (IPPrefix("::/128")!, "the unspecified address"),
        (IPPrefix("::1/128")!, "the loopback address"),
        (IPPrefix("fe80::/10")!, "a link-local address"),
        (IPPrefix("ff00::/8")!, "a multicast address"),
    ]

    struct Request {
        var service: String
        var externalIPs: [Located<IPAddress>]
        var ports: [ServicePort]
    }

    /// Whether every request's external IPs are fine; each problem is reported.
    func check(_ requests: [Request]) -> [String: Bool] {
        var result: [String: Bool] = [:]
        var owners: [String: (service: String, mark: SourceMark)] = [:]
        for request in requests {
            var ok = true
            var listed: [IPAddress: SourceMark] = [:]
            for ip in request.externalIPs {
                if let first = listed[ip.value] {
                    log.error(ip.mark, "service '\(request.service)' lists the external IP \(ip.value) twice (first at line \(first.line))")
                    ok = false
                    continue
                }
                listed[ip.value] = ip.mark
                guard checkAddress(ip, service: request.service) else {
                    ok = false
                    continue
                }
                for port in request.ports {
                    let key = "\(ip.value):\(port.port)/\(port.protocol.rawValue)"
                    if let owner = owners[key] {
                        log.error(ip.mark, "external IP \(ip.value) port \(port.port)/\(port.protocol.rawValue) of service '\(request.service)' is already a port of service '\(owner.service)' (line \(owner.mark.line)); one address and port serves one service: use another external IP or port")
                        ok = false
                    } else {
                        owners[key] = (request.service, ip.mark)
                    }
                }
            }
            result[request.service] = ok
        }
        return result
    }

    private func checkAddress(_ ip: Located<IPAddress>, service: String) -> Bool {
        let fix = "external IPs are addresses outside the cluster that reach it through a node"
        let family = ip.value.family
        if let special = Self.special.first(where: { $0.prefix.contains(ip.value) }) {
            log.error(ip.mark, "external IP \(ip.value) of service '\(service)' is \(special.what); \(fix)")
        } else if let cluster = clusterCIDRs.first(where: { $0.contains(ip.value) }) {
            log.error(ip.mark, "external IP \(ip.value) of service '\(service)' is inside clusterCIDR \(cluster), where pods live; \(fix)")
        } else if let services = serviceCIDRs.first(where: { $0.contains(ip.value) }) {
            log.error(ip.mark, "external IP \(ip.value) of service '\(service)' is inside serviceCIDR \(services), where ClusterIPs live; \(fix)")
        } else if let underlay = underlays.first(where: { $0.contains(ip.value) }), let problem = Self.notAHost(ip.value, of: underlay) {
            log.error(ip.mark, "external IP \(ip.value) of service '\(service)' is the \(problem) of underlay.cidr \(underlay); \(fix)")
        } else if let node = nodes.first(where: { $0.node.address(family) == ip.value }) {
            log.error(ip.mark, "external IP \(ip.value) of service '\(service)' is the address of node '\(node.node.name)' (line \(node.spec.mark.line)); to reach the service on a node's address, make it 'type: NodePort'")
        } else if let client = clients.first(where: { $0.client.address(family) == ip.value }) {
            log.error(ip.mark, "external IP \(ip.value) of service '\(service)' is the address of client '\(client.client.name)' (line \(client.spec.mark.line)); \(fix), not a client's")
        } else {
            return true
        }
        return false
    }

    /// What `address` is in `underlay` if no host can hold it: IPv4's network and
    /// broadcast addresses, IPv6's subnet-router anycast address (the first).
    static func notAHost(_ address: IPAddress, of underlay: IPPrefix) -> String? {
        switch (address, underlay) {
        case (.v4(let address), .v4(let prefix)):
            guard !AddressPool(prefix: prefix).isHost(address) else { return nil }
            return address == prefix.first ? "network address" : "broadcast address"
        case (.v6(let address), .v6(let prefix)):
            return address == prefix.address ? "subnet-router anycast address" : nil
        default:
            return nil
        }
    }
}
