import PodnetAddress
import PodnetKernelModel
import PodnetRender
import PodnetTopology

/// What `show` lists of traffic from outside: the NodePorts and external IPs the
/// nodes' nftables tables dispatch, and the NodePorts of their iptables rules (read
/// from the kernel; IPVS lists its own virtual servers), and, with a file, every
/// service's NodePorts, external IPs and policies as the file resolves against the
/// live cluster (what every proxy mode is built from).
struct ExternalTrafficView: Encodable {
    /// One NodePort or external IP as the proxy tables of some nodes hold it.
    struct Entry: Encodable {
        /// `nodePort` or `externalIP`.
        var kind: String
        /// The external IP; nil for a NodePort (every node address).
        var address: String?
        var `protocol`: String
        var port: Int
        /// The service and port its chain names; nil where the entry rejects or drops.
        var service: String?
        var servicePort: Int?
        /// The chain it goes to, or `reject` / `drop`.
        var target: String
        /// The namespaces whose table holds it, sorted.
        var namespaces: [String]
    }

    /// A service of the file, resolved against the live cluster.
    struct ServiceRow: Encodable {
        struct Port: Encodable { var port: Int, targetPort: Int, `protocol`: String, nodePort: Int? }
        var name: String, type: String, clusterIP: String, externalIPs: [String], ports: [Port]
        var externalTrafficPolicy: String, internalTrafficPolicy: String, sessionAffinity: String
    }

    var entries: [Entry] = []
    var services: [ServiceRow]?

    init(cluster: String, state: KernelState, topology: Topology?) {
        var seen: [String: Int] = [:]
        func add(_ entry: Entry, in namespace: String) {
            var entry = entry
            let key = "\(entry.kind) \(entry.address ?? "") \(entry.protocol) \(entry.port) \(entry.target)"
            if let index = seen[key] {
                entries[index].namespaces.append(namespace)
            } else {
                entry.namespaces = [namespace]
                seen[key] = entries.count
                entries.append(entry)
            }
        }
        for table in state.nftTables.values.sorted(by: { $0.id < $1.id }) {
            let namespace = table.id.namespace.description
            let clusterIPs = Set(table.sets[NFTablesProxyNames.clusterIPs]?.elements.compactMap { element -> IPv4Address? in
                if case .ipv4(let address)? = element.key.first { return address }
                return nil
            } ?? [])
            // The dispatching maps first: they name the service a reject or drop of the
            // same address and port (in the no-endpoint sets) belongs to.
            var named: [String: (service: String?, port: Int?)] = [:]
            for setName in [NFTablesProxyNames.serviceNodePorts, NFTablesProxyNames.serviceIPs,
                            NFTablesProxyNames.noEndpointNodePorts, NFTablesProxyNames.noEndpointServices] {
                for element in table.sets[setName]?.elements ?? [] {
                    guard var entry = Self.entry(element, clusterIPs: clusterIPs) else { continue }
                    let at = "\(entry.address ?? "*") \(entry.protocol) \(entry.port)"
                    if let service = entry.service {
                        named[at] = (service, entry.servicePort)
                    } else if let known = named[at] {
                        (entry.service, entry.servicePort) = known
                    }
                    add(entry, in: namespace)
                }
            }
        }
        // iptables mode: every NodePort is a rule of KUBE-NODEPORTS where it has
        // endpoints, else of the filter's KUBE-EXTERNAL-SERVICES (refused, or dropped
        // under Local), read as the sticky allocation reads them.
        // IPv4's chains: ip6tables' hold the same NodePorts again (external IPs are IPv4 only).
        for chain in state.iptablesChains.values.sorted(by: { $0.id < $1.id }) where chain.id.family == .ipv4 {
            let nodePorts = (IPTablesTable.nat.rawValue, IPTablesProxyNames.nodePorts)
            let external = (IPTablesTable.filter.rawValue, IPTablesProxyNames.externalServices)
            guard (chain.id.table, chain.id.name) == nodePorts || (chain.id.table, chain.id.name) == external else { continue }
            var alone = KernelState()
            alone.iptablesChains[chain.id] = chain
            for (key, nodePort) in IPTablesProxyNodePorts.read(from: alone, cluster: cluster).sorted(by: { $0.value < $1.value }) {
                // `SERVICE/PROTOCOL/PORT` (LiveAssignments.nodePortKey).
                let parts = key.split(separator: "/")
                guard parts.count == 3, let port = Int(parts[2]) else { continue }
                let target = chain.id.name == IPTablesProxyNames.nodePorts ? chain.id.name : "refused or dropped (\(chain.id.name))"
                add(Entry(kind: "nodePort", address: nil, protocol: parts[1].lowercased(), port: nodePort, service: String(parts[0]),
                          servicePort: port, target: target, namespaces: []), in: chain.id.namespace.description)
            }
        }
        // NodePorts first, then external IPs, each by address and port; where a port
        // leads to its service first, where it is refused or dropped after.
        func order(_ entry: Entry) -> (Int, String, Int, String, Int, String) {
            let dispatches = entry.service != nil && (entry.target.hasPrefix("external-") || entry.target == IPTablesProxyNames.nodePorts)
            return (entry.kind == "nodePort" ? 0 : 1, entry.address ?? "", entry.port, entry.protocol, dispatches ? 0 : 1, entry.target)
        }
        entries.sort { order($0) < order($1) }
        services = topology.map { topology in
            topology.services.map { service in
                ServiceRow(name: service.name, type: service.type.rawValue, clusterIP: (service.clusterIP(.ipv4) ?? service.clusterIP(.ipv6)).map(\.description) ?? "-",
                           externalIPs: service.externalIPs.map(\.description),
                           ports: service.ports.map { .init(port: $0.port, targetPort: $0.targetPort, protocol: $0.protocol.rawValue, nodePort: $0.nodePort) },
                           externalTrafficPolicy: service.externalTrafficPolicy.rawValue,
                           internalTrafficPolicy: service.internalTrafficPolicy.rawValue,
                           sessionAffinity: service.sessionAffinity.timeoutSeconds.map { "ClientIP \($0)s" } ?? "None")
            }
        }
    }

    /// A NodePort (key: protocol, port) or an external IP (key: address, protocol,
    /// port, where the address is no ClusterIP) and where it leads; nil for anything else.
    static func entry(_ element: NFTSetElement, clusterIPs: Set<IPv4Address>) -> Entry? {
        var address: IPv4Address?
        var key = element.key[...]
        if case .ipv4(let ip)? = key.first {
            guard !clusterIPs.contains(ip) else { return nil }
            address = ip
            key = key.dropFirst()
        }
        guard key.count == 2, case .inetProto(let proto) = key.first!, case .inetService(let port) = key.last! else { return nil }
        let protocolName = proto == 6 ? "tcp" : proto == 17 ? "udp" : String(proto)
        var entry = Entry(kind: address == nil ? "nodePort" : "externalIP", address: address?.description, protocol: protocolName,
                          port: Int(port), target: "", namespaces: [])
        switch element.data {
        case .verdict(.goto(let chain))?, .verdict(.jump(let chain))?:
            if chain == NFTablesProxyNames.reject {
                entry.target = "reject"
            } else if let named = NFTablesProxyNames.servicePort(ofExternalChain: chain) {
                entry.service = named.service
                entry.servicePort = named.port
                entry.target = chain
            } else {
                // An external IP leads to its external chain; anything else here is a ClusterIP's.
                guard address == nil else { return nil }
                entry.target = chain
            }
        case .verdict(.drop)?:
            entry.target = "drop"
        default:
            return nil
        }
        return entry
    }

    func text(cluster: String) -> [String] {
        var sections: [String] = []
        if let services, !services.isEmpty {
            var table = TextTable("SERVICE", "TYPE", "CLUSTER-IP", "EXTERNAL-IPS", "PORTS", "EXTERNAL POLICY", "INTERNAL POLICY", "AFFINITY")
            for service in services {
                let ports = service.ports.map { port in
                    "\(port.port)" + (port.nodePort.map { ":\($0)" } ?? "") + "/\(port.protocol)" + (port.targetPort == port.port ? "" : "→\(port.targetPort)")
                }
                table.add(service.name, service.type, service.clusterIP, service.externalIPs.isEmpty ? "-" : service.externalIPs.joined(separator: ","),
                          ports.joined(separator: ","), service.externalTrafficPolicy, service.internalTrafficPolicy, service.sessionAffinity)
            }
            sections.append(table.rendered)
        }
        if !entries.isEmpty {
            let prefix = cluster + "."
            var table = TextTable("NODEPORT / EXTERNAL IP", "SERVICE", "ON NODES", "TO")
            for entry in entries {
                let at = (entry.address ?? "*") + ":\(entry.port)/\(entry.protocol)"
                let service = entry.service.map { "\($0):\(entry.servicePort ?? 0)" } ?? "-"
                let nodes = entry.namespaces.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }.joined(separator: ",")
                let to = switch entry.target {
                case "reject": "refused (no endpoints)"
                case "drop": "dropped (no local endpoint)"
                default: entry.target
                }
                table.add(at, service, nodes, to)
            }
            sections.append(table.rendered)
        }
        return sections
    }
}
