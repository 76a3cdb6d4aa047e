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
        var bytes: [UInt8] = []
        for (index, service) in topology.services.enumerated() {
            services[service.name] = Self.line(clusterIP: service.clusterIP, ports: service.ports,
                                               endpoints: endpointAddresses(ofServiceAt: index), buffer: &bytes)
        }
        return NFTablesProxyRecord(layout: layout, services: services)
    }

    /// A fingerprint of everything but the services' inputs that shapes the table: the
    /// fixed part as rendered for this topology (table name and comment, cluster CIDR,
    /// masquerade), and two probe services, with and without endpoints, as this build
    /// of podnet lays them out, all as nft would list them. A podnet that renders
    /// differently, or a topology that changed any of these, gives another
    /// fingerprint, and the record is not used.
    public var layout: String {
        var probe = NFTable(id: NFTable.ID(namespace: .current, name: NFTablesProxyNames.table(cluster: topology.name)),
                            comment: "podnet cluster \(topology.name): services and masquerade")
        addSkeleton(to: &probe)
        let ports = [ServicePort(port: 80, targetPort: 8080), ServicePort(port: 53, protocol: .udp)]
        let served = footprint(of: "probe-a", clusterIP: IPv4Address(10, 0, 0, 1), ports: ports,
                               endpoints: [IPv4Address(10, 0, 1, 2), IPv4Address(10, 0, 1, 3)])
        let unserved = footprint(of: "probe-b", clusterIP: IPv4Address(10, 0, 0, 2), ports: ports, endpoints: [])
        var lines = [NFTSyntax.tableDefinition(probe), "\(topology.clusterCIDR) \(topology.network.masquerade)"]
        for chain in probe.chains.values.sorted(by: NFTable.listsBefore) + served.chains + unserved.chains {
            lines.append(NFTSyntax.chainDefinition(chain, in: probe.id))
            for rule in chain.rules { lines.append(NFTSyntax.text(of: rule) ?? "?") }
        }
        for name in probe.sets.keys.sorted() { lines.append(NFTSyntax.setDefinition(probe.sets[name]!, in: probe.id)) }
        for element in served.serviceIPs + served.noEndpoints + unserved.serviceIPs + unserved.noEndpoints {
            lines.append(NFTSyntax.elementText(element))
        }
        return SHA256.digest(lines.joined(separator: "\n").utf8).prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// A table rebuilt from a record, and the chains in which it may differ from the
    /// desired table it was rebuilt from (every other one is the desired one).
    public struct RecordedTable: Sendable {
        public var table: NFTable
        public var differingChains: Set<String>
    }

    /// The table that `recorded` stands for, given `desired`, the table this renderer
    /// renders: `desired` with each service whose inputs differ put back as the record
    /// has it (its chains and elements), and services the record lacks taken out; with
    /// the chains in which it may differ from `desired`. Nil when the record's layout
    /// is not this one's (or a line of it is unreadable): then only reading the table tells.
    /// - Parameter current: `record()`, if the caller has it already.
    public func rebuild(recordedAs recorded: NFTablesProxyRecord, desired: NFTable, current: NFTablesProxyRecord? = nil) -> RecordedTable? {
        let current = current ?? record()
        guard recorded.layout == current.layout else { return nil }
        var changed: [String] = []
        for (name, line) in current.services where recorded.services[name] != line { changed.append(name) }
        for name in recorded.services.keys where current.services[name] == nil { changed.append(name) }
        guard !changed.isEmpty else { return RecordedTable(table: desired, differingChains: []) }
        var gone: [ServiceFootprint] = [], back: [ServiceFootprint] = []
        // One pass over the services for the few that changed, not a dictionary of all.
        let changedNames = Set(changed)
        var seen: Set<String> = []
        for (index, service) in topology.services.enumerated() where changedNames.contains(service.name) && seen.insert(service.name).inserted {
            gone.append(footprint(of: service.name, clusterIP: service.clusterIP, ports: service.ports,
                                  endpoints: endpointAddresses(ofServiceAt: index)))
        }
        for name in changed {
            if let line = recorded.services[name] {
                guard let inputs = Self.inputs(ofLine: line) else { return nil }
                back.append(footprint(of: name, clusterIP: inputs.clusterIP, ports: inputs.ports, endpoints: inputs.endpoints))
            }
        }
        var table = desired
        var differing: Set<String> = []
        for footprint in gone + back { for chain in footprint.chains { differing.insert(chain.name) } }
        for footprint in gone { for chain in footprint.chains { table.chains[chain.name] = nil } }
        for footprint in back { for chain in footprint.chains { table.insert(chain) } }
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
        // ClusterIPs are unique to a service (the topology refuses two services on one).
        swap(NFTablesProxyNames.clusterIPs) { $0.clusterIP.map { [NFTSetElement(key: [.ipv4($0)])] } ?? [] }
        return RecordedTable(table: table, differingChains: differing)
    }

    // MARK: Lines

    /// "10.96.0.10 53:53/udp,80:8080/tcp 10.244.0.2,10.244.1.2", "-" for no ports or
    /// endpoints. Written byte by byte: a record of 1,000 services is made at every
    /// apply, and string interpolation took 5 ms of it.
    static func line(clusterIP: IPv4Address, ports: [ServicePort], endpoints: [IPv4Address], buffer: inout [UInt8]) -> String {
        buffer.removeAll(keepingCapacity: true)
        append(clusterIP, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        if ports.isEmpty { buffer.append(UInt8(ascii: "-")) }
        for (index, port) in ports.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            append(port.port, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            append(port.targetPort, to: &buffer)
            buffer.append(contentsOf: port.protocol == .tcp ? Array("/tcp".utf8) : Array("/udp".utf8))
        }
        buffer.append(UInt8(ascii: " "))
        if endpoints.isEmpty { buffer.append(UInt8(ascii: "-")) }
        for (index, endpoint) in endpoints.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            append(endpoint, to: &buffer)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    static func line(clusterIP: IPv4Address, ports: [ServicePort], endpoints: [IPv4Address]) -> String {
        var buffer: [UInt8] = []
        return line(clusterIP: clusterIP, ports: ports, endpoints: endpoints, buffer: &buffer)
    }

    private static func append(_ address: IPv4Address, to buffer: inout [UInt8]) {
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
