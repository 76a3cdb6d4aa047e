import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// The proxy table as a record of its inputs (`NFTablesProxyRecord`), and back: the
/// table a record stands for, rebuilt from the desired one by rendering only the
/// services whose inputs differ.
extension NFTablesProxyRenderer {
    /// The record of the table `table(forNode:in:)` renders (the same on every node).
    public func record() -> NFTablesProxyRecord {
        var services: [String: String] = [:]
        services.reserveCapacity(topology.services.count)
        for service in topology.services {
            services[service.name] = Self.line(clusterIP: service.clusterIP, ports: service.ports, endpoints: endpointIPs(of: service))
        }
        return NFTablesProxyRecord(layout: layout, services: services)
    }

    /// A fingerprint of everything but the services' inputs that shapes the table: the
    /// fixed part as rendered for this topology (table name and comment, cluster CIDR,
    /// masquerade), and two probe services, with and without endpoints, as this build
    /// of podnet lays them out. A podnet that renders differently, or a topology that
    /// changed any of these, gives another fingerprint, and the record is not used.
    public var layout: String {
        var probe = NFTable(id: NFTable.ID(namespace: .current, name: NFTablesProxyNames.table(cluster: topology.name)),
                            comment: "podnet cluster \(topology.name): services and masquerade")
        addSkeleton(to: &probe)
        let ports = [ServicePort(port: 80, targetPort: 8080), ServicePort(port: 53, protocol: .udp)]
        let served = footprint(of: "probe-a", clusterIP: IPv4Address(10, 0, 0, 1), ports: ports,
                               endpoints: [IPv4Address(10, 0, 1, 2), IPv4Address(10, 0, 1, 3)])
        let unserved = footprint(of: "probe-b", clusterIP: IPv4Address(10, 0, 0, 2), ports: ports, endpoints: [])
        var text = "\(probe.id.name)|\(probe.comment ?? "")|\(topology.clusterCIDR)|\(topology.network.masquerade)"
        for name in probe.chains.keys.sorted() { text += "|" + String(reflecting: probe.chains[name]!) }
        for name in probe.sets.keys.sorted() { text += "|" + String(reflecting: probe.sets[name]!) }
        text += "|" + String(reflecting: served) + "|" + String(reflecting: unserved)
        return SHA256.digest(text.utf8).prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The table that `recorded` stands for, given `desired`, the table this renderer
    /// renders: `desired` with each service whose inputs differ put back as the record
    /// has it (its chains and elements), and services the record lacks taken out. Nil
    /// when the record's layout is not this one's: then only reading the table tells.
    public func table(recordedAs recorded: NFTablesProxyRecord, desired: NFTable) -> NFTable? {
        let current = record()
        guard recorded.layout == current.layout else { return nil }
        let changed = Set(current.services.keys).union(recorded.services.keys).filter { current.services[$0] != recorded.services[$0] }
        guard !changed.isEmpty else { return desired }
        let services = Dictionary(topology.services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var gone: [ServiceFootprint] = [], back: [ServiceFootprint] = []
        for name in changed {
            if let service = services[name] {
                gone.append(footprint(of: name, clusterIP: service.clusterIP, ports: service.ports, endpoints: endpointIPs(of: service)))
            }
            if let line = recorded.services[name] {
                guard let inputs = Self.inputs(ofLine: line) else { return nil }
                back.append(footprint(of: name, clusterIP: inputs.clusterIP, ports: inputs.ports, endpoints: inputs.endpoints))
            }
        }
        var table = desired
        for footprint in gone { for chain in footprint.chains { table.chains[chain.name] = nil } }
        for footprint in back { for chain in footprint.chains { table.insert(chain) } }
        func swap(_ set: String, _ elements: (ServiceFootprint) -> [NFTSetElement]) {
            guard let current = table.sets[set]?.elements else { return }
            let removed = Set(gone.flatMap(elements).map(\.key))
            table.sets[set]!.elements = current.filter { !removed.contains($0.key) } + back.flatMap(elements)
        }
        swap(NFTablesProxyNames.serviceIPs, \.serviceIPs)
        swap(NFTablesProxyNames.noEndpointServices, \.noEndpoints)
        // ClusterIPs are unique to a service (the topology refuses two services on one).
        swap(NFTablesProxyNames.clusterIPs) { $0.clusterIP.map { [NFTSetElement(key: [.ipv4($0)])] } ?? [] }
        return table
    }

    // MARK: Lines

    static func line(clusterIP: IPv4Address, ports: [ServicePort], endpoints: [IPv4Address]) -> String {
        let portText = ports.isEmpty ? "-" : ports.map { "\($0.port):\($0.targetPort)/\($0.protocol.rawValue.lowercased())" }.joined(separator: ",")
        let endpointText = endpoints.isEmpty ? "-" : endpoints.map(\.description).joined(separator: ",")
        return "\(clusterIP) \(portText) \(endpointText)"
    }

    static func inputs(ofLine line: String) -> (clusterIP: IPv4Address, ports: [ServicePort], endpoints: [IPv4Address])? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 3, let clusterIP = IPv4Address(String(fields[0])) else { return nil }
        var ports: [ServicePort] = []
        if fields[1] != "-" {
            for text in fields[1].split(separator: ",") {
                let parts = text.split(whereSeparator: { $0 == ":" || $0 == "/" })
                guard parts.count == 3, let port = Int(parts[0]), let target = Int(parts[1]),
                      let proto = ServicePort.TransportProtocol(rawValue: parts[2].uppercased()) else { return nil }
                ports.append(ServicePort(port: port, targetPort: target, protocol: proto))
            }
        }
        var endpoints: [IPv4Address] = []
        if fields[2] != "-" {
            for text in fields[2].split(separator: ",") {
                guard let address = IPv4Address(String(text)) else { return nil }
                endpoints.append(address)
            }
        }
        return (clusterIP, ports, endpoints)
    }
}
