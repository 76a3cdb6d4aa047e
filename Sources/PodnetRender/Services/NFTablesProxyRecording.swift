import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// The proxy table as a record of its inputs (`NFTablesProxyRecord`), and back: the
/// table a record stands for, rebuilt from the desired one by rendering only the
/// services whose inputs differ.
extension NFTablesProxyRenderer {
    /// The record of the tables `table(forNode:in:family:)` renders for `family`: the
    /// same for every node, since a line names the nodes of the endpoints where a
    /// `Local` policy makes the node's table depend on them.
    public func record(for family: AddressFamily = .ipv4) -> NFTablesProxyRecord {
        let services = inputs(family)
        var lines: [String: String] = [:]
        lines.reserveCapacity(services.count)
        var bytes: [UInt8] = []
        for service in services {
            lines[service.name] = Self.line(service, buffer: &bytes)
        }
        return NFTablesProxyRecord(layout: layout(for: family), services: lines)
    }

    /// The services' inputs of one family's table.
    func inputs(_ family: AddressFamily) -> [NFTablesServiceInputs] {
        family == .ipv4 ? inputs : inputsV6
    }

    /// A fingerprint of everything but the services' inputs that shapes the table: the
    /// fixed part as rendered for this topology (table name and comment, cluster CIDR,
    /// masquerade), and two probe services, with and without endpoints, as this build
    /// of podnet lays them out, all as nft would list them. A podnet that renders
    /// differently, or a topology that changed any of these, gives another
    /// fingerprint, and the record is not used. Each family's table has its own: the
    /// probes take that family's addresses.
    public func layout(for family: AddressFamily = .ipv4) -> String {
        var probe = NFTable(id: NFTable.ID(namespace: .current, family: NFTFamily(family),
                                           name: NFTablesProxyNames.table(cluster: topology.name)),
                            comment: "podnet cluster \(topology.name): services and masquerade")
        addSkeleton(to: &probe, family: family)
        let ports = [ServicePort(port: 80, targetPort: 8080), ServicePort(port: 53, protocol: .udp)]
        let nodePorts = [ServicePort(port: 80, targetPort: 8080, nodePort: 30080), ServicePort(port: 53, protocol: .udp, nodePort: 30053)]
        typealias Endpoint = NFTablesServiceInputs.Endpoint
        // 10.0.N.H or fd00:0:0:N::H: a probe address of network N, host H.
        func address(_ network: UInt8, _ host: UInt8) -> IPAddress {
            family == .ipv4 ? .v4(IPv4Address(10, 0, network, host))
                : .v6(IPv6Address(high: 0xfd00_0000_0000_0000 | UInt64(network), low: UInt64(host)))
        }
        // 192.0.2.H or 2001:db8::H (the documentation ranges), an external IP.
        func external(_ host: UInt8) -> IPAddress {
            family == .ipv4 ? .v4(IPv4Address(192, 0, 2, host)) : .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: UInt64(host)))
        }
        let here = "probe-node", elsewhere = "probe-other"
        let probes = [
            NFTablesServiceInputs(name: "probe-a", clusterIP: address(0, 1), ports: ports,
                                  endpoints: [Endpoint(address: address(1, 2)), Endpoint(address: address(1, 3))]),
            NFTablesServiceInputs(name: "probe-b", clusterIP: address(0, 2), ports: nodePorts, endpoints: [],
                                  externalIPs: [external(1)]),
            NFTablesServiceInputs(name: "probe-c", clusterIP: address(0, 3), ports: nodePorts,
                                  endpoints: [Endpoint(address: address(1, 2), node: here),
                                              Endpoint(address: address(2, 2), node: elsewhere)],
                                  externalIPs: [external(2)], externalTrafficPolicy: .local,
                                  internalTrafficPolicy: .local, affinityTimeoutSeconds: 60),
            NFTablesServiceInputs(name: "probe-d", clusterIP: address(0, 4), ports: nodePorts,
                                  endpoints: [Endpoint(address: address(2, 2), node: elsewhere)],
                                  externalIPs: [external(3)], externalTrafficPolicy: .local,
                                  internalTrafficPolicy: .local),
            NFTablesServiceInputs(name: "probe-e", clusterIP: address(0, 5), ports: nodePorts,
                                  endpoints: [Endpoint(address: address(2, 2))], affinityTimeoutSeconds: 10800),
        ].map { footprint(of: $0, onNode: here) }
        let cluster = topology.clusterCIDR(family).map { "\($0)" } ?? "-"
        var lines = [NFTSyntax.tableDefinition(probe), "\(cluster) \(topology.network.masquerade)"]
        for chain in probe.chains.values.sorted(by: NFTable.listsBefore) + probes.flatMap(\.chains) {
            lines.append(NFTSyntax.chainDefinition(chain, in: probe.id))
            for rule in chain.rules { lines.append(NFTSyntax.text(of: rule) ?? "?") }
        }
        for set in probe.sets.keys.sorted().map({ probe.sets[$0]! }) + probes.flatMap(\.sets) {
            lines.append(NFTSyntax.setDefinition(set, in: probe.id))
        }
        for footprint in probes {
            for element in footprint.serviceIPs + footprint.noEndpoints + footprint.serviceNodePorts + footprint.noEndpointNodePorts {
                lines.append(NFTSyntax.elementText(element))
            }
        }
        return SHA256.digest(lines.joined(separator: "\n").utf8).prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// A table rebuilt from a record, and the chains in which it may differ from the
    /// desired table it was rebuilt from (every other one is the desired one).
    public struct RecordedTable: Sendable {
        public var table: NFTable
        public var differingChains: Set<String>
    }

    /// The table that `recorded` stands for on node `node`, given `desired`, the table
    /// this renderer renders for that node: `desired` with each service whose inputs
    /// differ put back as the record has it (its chains, sets and elements), and
    /// services the record lacks taken out; with the chains in which it may differ
    /// from `desired`. Nil when the record's layout is not this one's (or a line of it
    /// is unreadable): then only reading the table tells.
    /// - Parameter current: `record()`, if the caller has it already.
    public func rebuild(recordedAs recorded: NFTablesProxyRecord, desired: NFTable, onNode node: String,
                        current: NFTablesProxyRecord? = nil) -> RecordedTable? {
        guard let family = desired.id.family.addressFamily else { return nil }
        let current = current ?? record(for: family)
        guard recorded.layout == current.layout else { return nil }
        var changed: [String] = []
        for (name, line) in current.services where recorded.services[name] != line { changed.append(name) }
        for name in recorded.services.keys where current.services[name] == nil { changed.append(name) }
        guard !changed.isEmpty else { return RecordedTable(table: desired, differingChains: []) }
        var gone: [ServiceFootprint] = [], back: [ServiceFootprint] = []
        // One pass over the services for the few that changed, not a dictionary of all.
        let changedNames = Set(changed)
        var seen: Set<String> = []
        for service in inputs(family) where changedNames.contains(service.name) && seen.insert(service.name).inserted {
            gone.append(footprint(of: service, onNode: node))
        }
        for name in changed {
            if let line = recorded.services[name] {
                guard let inputs = Self.inputs(ofLine: line, service: name) else { return nil }
                back.append(footprint(of: inputs, onNode: node))
            }
        }
        var table = desired
        var differing: Set<String> = []
        for footprint in gone + back { for chain in footprint.chains { differing.insert(chain.name) } }
        for footprint in gone { for chain in footprint.chains { table.chains[chain.name] = nil } }
        for footprint in back { for chain in footprint.chains { table.insert(chain) } }
        // Affinity sets are few and compared whole by the diff (sets always are).
        for footprint in gone { for set in footprint.sets { table.sets[set.name] = nil } }
        for footprint in back { for set in footprint.sets { table.insert(set) } }
        func swap(_ set: String, _ elements: (ServiceFootprint) -> [NFTSetElement]) {
            let out = gone.flatMap(elements), in_ = back.flatMap(elements)
            // A service whose endpoints changed keeps its elements: the set is left as
            // it is (re-sorting 1,000 elements took a third of a rebuild).
            guard Set(out) != Set(in_), let current = table.sets[set]?.elements else { return }
            let removed = Set(out.map(\.key))
            table.sets[set]!.elements = current.filter { !removed.contains($0.key) } + in_
        }
        swap(NFTablesProxyNames.serviceIPs, \.serviceIPs)
        swap(NFTablesProxyNames.noEndpointServices, \.noEndpoints)
        swap(NFTablesProxyNames.serviceNodePorts, \.serviceNodePorts)
        swap(NFTablesProxyNames.noEndpointNodePorts, \.noEndpointNodePorts)
        // ClusterIPs are unique to a service (the topology refuses two services on one).
        swap(NFTablesProxyNames.clusterIPs) { $0.clusterIP.map { [NFTSetElement(key: [.address($0)])] } ?? [] }
        return RecordedTable(table: table, differingChains: differing)
    }

    // MARK: Lines

    /// "10.96.0.10 53:53/udp,80:8080/tcp 10.244.0.2,10.244.1.2", "-" for no ports or
    /// endpoints; a NodePort follows its port (`80:8080/tcp@30080`), an endpoint's node
    /// its address where a `Local` policy needs it (`10.244.1.2@node-1`), and the rest
    /// only where it is not the default: `ext=IP,IP`, `etp=Local`, `itp=Local`,
    /// `affinity=SECONDS`. Written byte by byte: a record of 1,000 services is made at
    /// every apply, and string interpolation took 5 ms of it.
    static func line(_ service: NFTablesServiceInputs, buffer: inout [UInt8]) -> String {
        buffer.removeAll(keepingCapacity: true)
        append(service.clusterIP, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        if service.ports.isEmpty { buffer.append(UInt8(ascii: "-")) }
        for (index, port) in service.ports.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            append(port.port, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            append(port.targetPort, to: &buffer)
            buffer.append(contentsOf: port.protocol == .tcp ? Array("/tcp".utf8) : Array("/udp".utf8))
            if let nodePort = port.nodePort {
                buffer.append(UInt8(ascii: "@"))
                append(nodePort, to: &buffer)
            }
        }
        buffer.append(UInt8(ascii: " "))
        if service.endpoints.isEmpty { buffer.append(UInt8(ascii: "-")) }
        for (index, endpoint) in service.endpoints.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            append(endpoint.address, to: &buffer)
            if let node = endpoint.node {
                buffer.append(UInt8(ascii: "@"))
                buffer.append(contentsOf: node.utf8)
            }
        }
        if !service.externalIPs.isEmpty {
            buffer.append(contentsOf: " ext=".utf8)
            for (index, address) in service.externalIPs.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                append(address, to: &buffer)
            }
        }
        if service.externalTrafficPolicy == .local { buffer.append(contentsOf: " etp=Local".utf8) }
        if service.internalTrafficPolicy == .local { buffer.append(contentsOf: " itp=Local".utf8) }
        if let timeout = service.affinityTimeoutSeconds {
            buffer.append(contentsOf: " affinity=".utf8)
            append(timeout, to: &buffer)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    static func line(_ service: NFTablesServiceInputs) -> String {
        var buffer: [UInt8] = []
        return line(service, buffer: &buffer)
    }

    private static func append(_ address: IPAddress, to buffer: inout [UInt8]) {
        guard case .v4(let address) = address else {
            buffer.append(contentsOf: address.description.utf8)
            return
        }
        for shift in stride(from: 24, through: 0, by: -8) {
            append(Int(address.value >> UInt32(shift) & 0xFF), to: &buffer)
            if shift > 0 { buffer.append(UInt8(ascii: ".")) }
        }
    }

    private static func append(_ number: Int, to buffer: inout [UInt8]) {
        guard number >= 10 else { buffer.append(UInt8(ascii: "0") + UInt8(number)); return }
        append(number / 10, to: &buffer)
        buffer.append(UInt8(ascii: "0") + UInt8(number % 10))
    }

    /// The inputs a line was written from; nil for anything `line` does not write.
    static func inputs(ofLine line: String, service name: String) -> NFTablesServiceInputs? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 3, let clusterIP = IPAddress(fields[0]) else { return nil }
        var ports: [ServicePort] = []
        if fields[1] != "-" {
            for text in fields[1].split(separator: ",") {
                let portAndNodePort = text.split(separator: "@", omittingEmptySubsequences: false)
                let parts = portAndNodePort[0].split(whereSeparator: { $0 == ":" || $0 == "/" })
                guard portAndNodePort.count <= 2, parts.count == 3, let port = Int(parts[0]), let target = Int(parts[1]),
                      let proto = ServicePort.TransportProtocol(rawValue: parts[2].uppercased()) else { return nil }
                var nodePort: Int?
                if portAndNodePort.count == 2 {
                    guard let number = Int(portAndNodePort[1]) else { return nil }
                    nodePort = number
                }
                ports.append(ServicePort(port: port, targetPort: target, protocol: proto, nodePort: nodePort))
            }
        }
        var endpoints: [NFTablesServiceInputs.Endpoint] = []
        if fields[2] != "-" {
            for text in fields[2].split(separator: ",") {
                let parts = text.split(separator: "@", omittingEmptySubsequences: false)
                guard parts.count <= 2, let address = IPAddress(parts[0]) else { return nil }
                endpoints.append(.init(address: address, node: parts.count == 2 ? String(parts[1]) : nil))
            }
        }
        var service = NFTablesServiceInputs(name: name, clusterIP: clusterIP, ports: ports, endpoints: endpoints)
        for field in fields.dropFirst(3) {
            switch field {
            case "etp=Local": service.externalTrafficPolicy = .local
            case "itp=Local": service.internalTrafficPolicy = .local
            case _ where field.hasPrefix("ext="):
                for text in field.dropFirst(4).split(separator: ",") {
                    guard let address = IPAddress(text) else { return nil }
                    service.externalIPs.append(address)
                }
            case _ where field.hasPrefix("affinity="):
                guard let timeout = Int(field.dropFirst(9)) else { return nil }
                service.affinityTimeoutSeconds = timeout
            default:
                return nil
            }
        }
        return service
    }
}
