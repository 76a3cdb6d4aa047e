import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// The live state of one cluster as people and scripts read it: flat lists,
/// sorted, with names rather than identity keys.
struct LiveStateView: Encodable {
    struct NamespaceRow: Encodable { var name: String; var role: String }
    struct LinkRow: Encodable {
        var namespace: String, name: String, kind: String, up: Bool, mtu: Int?, master: String?
        var hairpin: Bool?, peer: String?, alias: String?, alternativeNames: [String]
    }
    struct AddressRow: Encodable { var namespace: String, interface: String, address: String }
    struct RouteRow: Encodable { var namespace: String, destination: String, gateway: String?, device: String?, onlink: Bool, `protocol`: Int, table: Int }
    struct NeighbourRow: Encodable { var namespace: String, interface: String, address: String, mac: String }
    struct FDBRow: Encodable { var namespace: String, interface: String, mac: String, destination: String }
    struct SysctlRow: Encodable { var namespace: String, key: String, value: String }
    /// An IPVS virtual server (ipvs proxy mode) and its real servers, as `ipvsadm -Ln` lists them.
    struct IPVSRow: Encodable {
        struct RealServer: Encodable { var address: String, port: Int, weight: Int, forwarding: String }
        var namespace: String, `protocol`: String, address: String, port: Int, scheduler: String, realServers: [RealServer]
        /// Seconds a client sticks to its real server (`sessionAffinity: ClientIP`); nil when not persistent.
        var persistenceSeconds: Int?
    }

    var cluster: String
    var namespaces: [NamespaceRow]
    var unownedNamespaces: [String]
    var links: [LinkRow]
    var addresses: [AddressRow]
    var routes: [RouteRow]
    var neighbours: [NeighbourRow]
    var fdb: [FDBRow]
    var sysctls: [SysctlRow]
    var ipvsServices: [IPVSRow]
    /// NodePorts and external IPs (nftables tables), and the file's services if given.
    var externalTraffic: ExternalTrafficView
    /// NetworkPolicy's isolated pods and peer sets (the nodes' inet tables).
    var networkPolicy: NetworkPolicyView

    /// - Parameter topology: the file, resolved against `state`, when `show -f` was given.
    init(cluster: String, state: KernelState, topology: Topology? = nil) {
        self.cluster = cluster
        namespaces = state.namespaces.values.sorted { $0.name < $1.name }.map { NamespaceRow(name: $0.name, role: $0.mark.role) }
        unownedNamespaces = state.unownedNamespaces.union(state.emptyUnmarkedNamespaces).sorted()
        links = state.links.values.sorted { $0.id < $1.id }.map { link in
            var peer: String?
            if case .veth(let id) = link.kind, !id.name.isEmpty { peer = "\(id.name)@\(id.namespace)" }
            return LinkRow(namespace: link.id.namespace.description, name: link.id.name, kind: link.kind.kernelName, up: link.up,
                           mtu: link.mtu, master: link.master, hairpin: link.hairpin, peer: peer, alias: link.mark?.alias,
                           alternativeNames: link.alternativeNames)
        }
        addresses = state.addresses.sorted().map {
            AddressRow(namespace: $0.link.namespace.description, interface: $0.link.name, address: $0.address.description)
        }
        routes = state.routes.values.sorted { $0.id < $1.id }.map {
            RouteRow(namespace: $0.id.namespace.description, destination: $0.id.destination.length == 0 ? "default" : $0.id.destination.description,
                     gateway: $0.gateway?.description, device: $0.device, onlink: $0.onlink, protocol: Int($0.protocol), table: Int($0.id.table))
        }
        neighbours = state.neighbours.values.sorted { $0.id < $1.id }.map {
            NeighbourRow(namespace: $0.id.link.namespace.description, interface: $0.id.link.name, address: $0.id.address.description, mac: $0.mac.description)
        }
        fdb = state.fdb.sorted().map {
            FDBRow(namespace: $0.link.namespace.description, interface: $0.link.name, mac: $0.mac.description, destination: $0.destination.description)
        }
        sysctls = state.sysctls.values.sorted { $0.id < $1.id }.map {
            SysctlRow(namespace: $0.id.namespace.description, key: $0.id.key, value: $0.value)
        }
        ipvsServices = state.ipvsServices.values.sorted { $0.id < $1.id }.map { service in
            IPVSRow(namespace: service.id.namespace.description, protocol: service.id.protocol.rawValue,
                    address: service.id.address.description, port: Int(service.id.port), scheduler: service.scheduler,
                    realServers: service.destinations.map {
                        .init(address: $0.id.address.description, port: Int($0.id.port), weight: Int($0.weight),
                              forwarding: $0.forwarding == .masquerade ? "masq" : "\($0.forwarding)")
                    },
                    persistenceSeconds: service.flags.contains(.persistent) ? Int(service.timeout) : nil)
        }
        externalTraffic = ExternalTrafficView(cluster: cluster, state: state, topology: topology)
        networkPolicy = NetworkPolicyView(cluster: cluster, state: state)
    }

    var text: String {
        var sections = ["cluster \(cluster): \(namespaces.count) namespaces, \(links.count) links, \(addresses.count) addresses, \(routes.count) routes"]
        var table = TextTable("NAMESPACE", "ROLE")
        for row in namespaces { table.add(row.name, row.role) }
        for name in unownedNamespaces { table.add(name, "(not podnet's: left alone)") }
        sections.append(table.rendered)
        var links = TextTable("NAMESPACE", "LINK", "KIND", "STATE", "MTU", "MASTER", "PEER / DETAILS")
        for row in self.links {
            var details: [String] = []
            if let peer = row.peer { details.append(peer) }
            if row.hairpin == true { details.append("hairpin") }
            if !row.alternativeNames.isEmpty { details.append("altname " + row.alternativeNames.joined(separator: ",")) }
            if row.alias == nil { details.append("(not podnet's)") }
            links.add(row.namespace, row.name, row.kind, row.up ? "up" : "down", row.mtu.map(String.init) ?? "-", row.master ?? "-",
                      details.joined(separator: " "))
        }
        sections.append(links.rendered)
        var addresses = TextTable("NAMESPACE", "INTERFACE", "ADDRESS")
        for row in self.addresses { addresses.add(row.namespace, row.interface, row.address) }
        sections.append(addresses.rendered)
        var routes = TextTable("NAMESPACE", "DESTINATION", "VIA", "DEV", "PROTO")
        for row in self.routes {
            routes.add(row.namespace, row.destination, row.gateway ?? "-", row.device ?? "-",
                       Self.protocolName(row.protocol) + (row.onlink ? " onlink" : ""))
        }
        sections.append(routes.rendered)
        if !neighbours.isEmpty || !fdb.isEmpty {
            var entries = TextTable("NAMESPACE", "INTERFACE", "ENTRY", "MAC", "DST")
            for row in neighbours { entries.add(row.namespace, row.interface, "neigh \(row.address)", row.mac, "-") }
            for row in fdb { entries.add(row.namespace, row.interface, "fdb", row.mac, row.destination) }
            sections.append(entries.rendered)
        }
        if !ipvsServices.isEmpty {
            var services = TextTable("NAMESPACE", "IPVS SERVICE", "SCHEDULER", "REAL SERVERS")
            for row in ipvsServices {
                let servers = row.realServers.map { "\(Self.joined($0.address, $0.port)) \($0.forwarding) \($0.weight)" }
                // As ipvsadm -Ln: "rr persistent 10800".
                let scheduler = row.scheduler + (row.persistenceSeconds.map { " persistent \($0)" } ?? "")
                services.add(row.namespace, "\(row.protocol) \(Self.joined(row.address, row.port))", scheduler,
                             servers.isEmpty ? "(none: refused)" : servers.joined(separator: ", "))
            }
            sections.append(services.rendered)
        }
        sections += externalTraffic.text(cluster: cluster)
        sections += networkPolicy.text()
        return sections.joined(separator: "\n\n")
    }

    /// `10.96.0.2:8080`, `[fd00:96::1]:8080`, as ipvsadm -Ln lists them.
    static func joined(_ address: String, _ port: Int) -> String {
        IPAddress(address)?.joined(port: port) ?? "\(address):\(port)"
    }

    static func protocolName(_ value: Int) -> String {
        switch value {
        case 2: return "kernel"
        case 3: return "boot"
        case 4: return "static"
        case Int(Route.protocolPodnet): return "podnet"
        default: return String(value)
        }
    }
}
