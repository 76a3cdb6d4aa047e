import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import Testing

/// For random desired and live states: the plan applied to live gives desired,
/// and planning again gives nothing to do.
@Suite struct PlannerPropertyTests {
    static func randomTopology(_ random: inout SeededGenerator) -> String {
        let nodeCount = Int.random(in: 1...4, using: &random)
        // Every backend, so that switching between any two on a live cluster is covered.
        let backend = ["host-gw", "ipip", "vxlan", "vxlan, vxlan: { discovery: multicast, group: 239.1.1.1 }"]
            .randomElement(using: &random)!
        let mtu = [1500, 1400, 9000].randomElement(using: &random)!
        var text = "name: lab\nclusterCIDR: 10.200.0.0/16\nnetwork: { backend: \(backend), mtu: \(mtu) }\nnodes:\n"
        let nodes = (0..<6).shuffled(using: &random).prefix(nodeCount)
        for node in nodes {
            let bridge = ["cni0", "br\(node)"].randomElement(using: &random)!
            text += "  - { name: node-\(node), bridge: \(bridge) }\n"
        }
        text += "pods:\n"
        for pod in 0..<Int.random(in: 0...8, using: &random) {
            let node = nodes.randomElement(using: &random)!
            text += "  - { name: p\(pod), node: node-\(node) }\n"
        }
        text = text.hasSuffix("pods:\n") ? text + "  []\n" : text
        // Services, some without endpoints, in a random proxy mode: tables, chains,
        // rules, virtual and real servers come, go and change with the pods.
        let serviceCount = Int.random(in: 0...3, using: &random)
        guard serviceCount > 0 else { return text }
        // Every proxy mode, so that switching between any two on a live cluster is covered.
        let mode = ["nftables", "iptables", "ipvs"].randomElement(using: &random)!
        text += "serviceCIDR: 10.96.0.0/12\nproxy: { mode: \(mode) }\nservices:\n"
        for service in 0..<serviceCount {
            let endpoints = (0..<8).filter { _ in Bool.random(using: &random) }.map { "p\($0)" }
                .filter { text.contains("name: \($0),") }
            let port = [80, 8080].randomElement(using: &random)!
            text += "  - { name: s\(service), clusterIP: 10.96.0.\(service + 2), endpoints: [\(endpoints.joined(separator: ", "))], ports: [{ port: \(port) }] }\n"
        }
        return text
    }

    /// Kernel-like damage to a live state: objects deleted, attributes changed,
    /// foreign links added.
    static func perturb(_ state: KernelState, _ random: inout SeededGenerator) -> KernelState {
        var state = state
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            switch Int.random(in: 0...15, using: &random) {
            case 14:
                if let id = state.ipvsServices.keys.randomElement(using: &random) { state.ipvsServices[id] = nil }
            case 15:
                // A real server deleted, or its weight changed.
                if let id = state.ipvsServices.keys.randomElement(using: &random), var service = state.ipvsServices[id],
                   var destination = service.destinations.randomElement(using: &random) {
                    let others = service.destinations.filter { $0.id != destination.id }
                    destination.weight = 5
                    service.setDestinations(Bool.random(using: &random) ? others : others + [destination])
                    state.ipvsServices[id] = service
                }
            case 8:
                // A bridge turned into something else: a replacement, which releases its ports.
                if let id = state.links.values.filter({ $0.kind == .bridge && $0.mark != nil }).map(\.id).randomElement(using: &random) {
                    state.links[id]?.kind = .dummy
                }
            case 9:
                if let id = state.links.values.filter({ $0.master != nil }).map(\.id).randomElement(using: &random) {
                    state.links[id]?.master = nil
                }
            case 10:
                if let id = state.neighbours.keys.randomElement(using: &random) { state.neighbours[id] = nil }
            case 11:
                if let id = state.neighbours.keys.randomElement(using: &random) { state.neighbours[id]?.mac = .broadcast }
            case 12:
                if let entry = state.fdb.randomElement(using: &random) { state.fdb.remove(entry) }
            case 13:
                if let id = state.links.values.filter({ $0.mac != nil }).map(\.id).randomElement(using: &random) {
                    state.links[id]?.mac = MACAddress("0e:00:00:00:00:01")
                }
            case 0:
                if let id = state.links.keys.filter({ $0.name != "lo" }).randomElement(using: &random) {
                    PlanSimulatorAccess.deleteLink(id, in: &state)
                }
            case 1:
                if let address = state.addresses.randomElement(using: &random) { state.addresses.remove(address) }
            case 2:
                if let id = state.routes.keys.randomElement(using: &random) { state.routes[id] = nil }
            case 3:
                // Only attributes podnet specifies: lo's MTU, say, is not its business.
                if let id = state.links.values.filter({ $0.mtu != nil }).map(\.id).randomElement(using: &random) { state.links[id]?.mtu = 1234 }
            case 4:
                if let id = state.links.keys.randomElement(using: &random) { state.links[id]?.up.toggle() }
            case 5:
                if let namespace = state.namespaces.keys.randomElement(using: &random) {
                    state = PlanSimulator.apply(Plan(operations: [.init(.deleteNamespace(namespace), reason: "")]), to: state)
                }
            case 6:
                if let namespace = state.namespaces.keys.randomElement(using: &random) {
                    state.insert(Link(id: .init(.named(namespace), "hand\(Int.random(in: 0...9, using: &random))"), kind: .bridge))
                }
            default:
                if let id = state.routes.keys.randomElement(using: &random) { state.routes[id]?.gateway = IPAddress("10.9.9.9") }
            }
        }
        return state
    }

    @Test(arguments: 0..<500)
    func planConverges(seed: Int) throws {
        var random = SeededGenerator(state: UInt64(seed))
        let desired = try desiredState(Self.randomTopology(&random))
        let before = try desiredState(Self.randomTopology(&random))
        let live = Self.perturb(before, &random)
        let planner = Planner(cluster: "lab")
        let plan = try planner.plan(desired: desired, live: live)
        let after = applied(plan, to: live)
        var result = owned(after, cluster: "lab")
        // Sysctls are set, never removed (a node's ipvs sysctls stay when its services go).
        result.sysctls = result.sysctls.filter { desired.sysctls[$0.key] != nil }
        let difference = differences(result, desired)
        #expect(difference.isEmpty, "seed \(seed): \(difference.prefix(5))\nplan: \(plan.operations.map { "\($0.operation)" }.prefix(8))")
        let again = try planner.plan(desired: desired, live: after)
        #expect(again.isEmpty, "seed \(seed): \(again.operations.prefix(5))")
    }
}
