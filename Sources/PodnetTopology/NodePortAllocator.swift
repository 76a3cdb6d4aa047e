import PodnetYAML

/// Checks the nodePorts written and allocates the others, for NodePort services
/// only: written first, then live (sticky), then the lowest free port of
/// `proxy.nodePortRange` in declaration order. Uniqueness is per protocol, as in
/// Kubernetes; a fresh port is also one no other protocol uses, as Kubernetes'
/// allocator keeps one set of ports for all protocols.
struct NodePortAllocator {
    let log: DiagnosticLog
    let live: LiveAssignments
    /// The range, with where it was written; nil means the default.
    let range: Located<ClosedRange<Int>>?
    /// Ports every node already receives other traffic on, with what that traffic
    /// is (the VXLAN port): a nodePort there would capture it.
    var nodeOwned: [ServicePort.TransportProtocol: [Int: String]] = [:]

    /// One service's ports, with the specs they came from (for positions).
    struct Request {
        var service: Located<String>
        var type: ServiceType
        var ports: [(spec: PortSpec, port: ServicePort)]
    }

    private var bounds: ClosedRange<Int> { range?.value ?? Proxy.defaultNodePortRange }

    /// The nodePort of each port of each service, by service name, in port order;
    /// nil for a ClusterIP service's ports, and for a port that could not get one
    /// (reported).
    func allocate(_ requests: [Request]) -> [String: [Int?]] {
        var result: [String: [Int?]] = [:]
        var owners: [ServicePort.TransportProtocol: [Int: (service: String, mark: SourceMark)]] = [:]
        var pending: [(request: Request, index: Int)] = []
        for request in requests {
            result[request.service.value] = Array(repeating: nil, count: request.ports.count)
            for (index, item) in request.ports.enumerated() {
                guard let written = item.spec.nodePort else {
                    if request.type == .nodePort { pending.append((request, index)) }
                    continue
                }
                let label = "\(written.value)/\(item.port.protocol.rawValue)"
                if request.type != .nodePort {
                    log.error(written.mark, "service '\(request.service.value)' is of type ClusterIP, which has no nodePorts; set 'type: NodePort' on the service, or remove the nodePort")
                } else if !bounds.contains(written.value) {
                    log.error(written.mark, "nodePort \(written.value) of service '\(request.service.value)' is outside \(rangeText); pick a port in it, or widen the range: 'proxy: { nodePortRange: \"\(min(bounds.lowerBound, written.value))-\(max(bounds.upperBound, written.value))\" }'")
                } else if let use = nodeOwned[item.port.protocol]?[written.value] {
                    log.error(written.mark, "nodePort \(label) of service '\(request.service.value)' is \(use), which every node already receives; pick another port")
                } else if let owner = owners[item.port.protocol]?[written.value] {
                    log.error(written.mark, "nodePort \(label) is already used by service '\(owner.service)' (line \(owner.mark.line)); a nodePort serves one service per protocol: pick another, or leave it out to have one allocated")
                } else {
                    owners[item.port.protocol, default: [:]][written.value] = (request.service.value, written.mark)
                    result[request.service.value]![index] = written.value
                }
            }
        }
        var fresh: [(request: Request, index: Int)] = []
        for (request, index) in pending {
            let port = request.ports[index].port
            let key = LiveAssignments.nodePortKey(service: request.service.value, port: port.port, protocol: port.protocol)
            if let kept = live.nodePorts[key], bounds.contains(kept), owners[port.protocol]?[kept] == nil,
               nodeOwned[port.protocol]?[kept] == nil {
                owners[port.protocol, default: [:]][kept] = (request.service.value, request.ports[index].spec.mark)
                result[request.service.value]![index] = kept
            } else {
                fresh.append((request, index))
            }
        }
        var used = Set(owners.values.flatMap(\.keys)).union(nodeOwned.values.flatMap(\.keys))
        var cursor = bounds.lowerBound
        for (request, index) in fresh {
            while cursor <= bounds.upperBound, used.contains(cursor) { cursor += 1 }
            let port = request.ports[index]
            guard cursor <= bounds.upperBound else {
                log.error(port.spec.mark, "no free nodePort left in \(rangeText) for port \(port.port.port)/\(port.port.protocol.rawValue) of service '\(request.service.value)'; widen proxy.nodePortRange")
                continue
            }
            used.insert(cursor)
            result[request.service.value]![index] = cursor
        }
        return result
    }

    private var rangeText: String {
        guard let range else { return "the default proxy.nodePortRange \(Self.text(bounds))" }
        return "proxy.nodePortRange \(Self.text(range.value)) (line \(range.mark.line))"
    }

    static func text(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)-\(range.upperBound)" }
}
