import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

func desiredState(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> KernelState {
    let result = TopologyLoader.load(text: yaml, file: "t.yaml")
    let topology = try #require(result.topology, "\(result.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    return LabRenderer(topology: topology).render()
}

/// What the kernel holds after `plan` ran on `live`.
func applied(_ plan: Plan, to live: KernelState) -> KernelState { PlanSimulator.apply(plan, to: live) }

/// The part of a state the planner owns for `cluster` (drops foreign links and what hangs off them).
func owned(_ state: KernelState, cluster: String) -> KernelState {
    var result = state
    let foreign = Set(state.links.values.filter { $0.mark?.cluster != cluster }.map(\.id))
    result.links = state.links.filter { !foreign.contains($0.key) }
    result.addresses = state.addresses.filter { !foreign.contains($0.link) }
    result.neighbours = state.neighbours.filter { !foreign.contains($0.key.link) }
    result.fdb = state.fdb.filter { !foreign.contains($0.link) }
    result.routes = state.routes.filter { $0.value.protocol != 2 }
    result.unownedNamespaces = []
    return result
}

/// SplitMix64: a small seeded generator, so that a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What differs between two states, one line per object, for readable failures.
func differences(_ a: KernelState, _ b: KernelState) -> [String] {
    var lines: [String] = []
    func compare<Key: Hashable & Comparable, Value: Equatable>(_ what: String, _ x: [Key: Value], _ y: [Key: Value]) {
        for key in Set(x.keys).union(y.keys).sorted() where x[key] != y[key] {
            lines.append("\(what) \(key): \(x[key].map { "\($0)" } ?? "absent") ≠ \(y[key].map { "\($0)" } ?? "absent")")
        }
    }
    compare("namespace", a.namespaces, b.namespaces)
    compare("link", a.links, b.links)
    compare("route", a.routes, b.routes)
    compare("neighbour", a.neighbours, b.neighbours)
    compare("sysctl", a.sysctls, b.sysctls)
    compare("ipvs service", a.ipvsServices, b.ipvsServices)
    compare("nftables table", a.nftTables, b.nftTables)
    compare("iptables chain", a.iptablesChains, b.iptablesChains)
    for rule in a.iptablesRules.symmetricDifference(b.iptablesRules).sorted(by: { "\($0)" < "\($1)" }) {
        lines.append("iptables rule \(rule): only in \(a.iptablesRules.contains(rule) ? "first" : "second")")
    }
    for address in a.addresses.symmetricDifference(b.addresses).sorted() {
        lines.append("address \(address.address) on \(address.link): only in \(a.addresses.contains(address) ? "first" : "second")")
    }
    for entry in a.fdb.symmetricDifference(b.fdb).sorted() { lines.append("fdb \(entry)") }
    return lines
}
