import PodnetAddress
import PodnetKernelModel

/// Applies a plan to a kernel state the way the kernel would, without a kernel:
/// deleting a namespace takes its links (and their veth peers) with it; deleting
/// a link takes its addresses, routes, neighbours and FDB entries. The planner's
/// property tests check that simulate(plan(desired, live), live) == desired.
public enum PlanSimulator {
    public static func apply(_ plan: Plan, to state: KernelState) -> KernelState {
        var state = state
        for planned in plan.operations { apply(planned.operation, to: &state) }
        return state
    }

    static func apply(_ operation: Operation, to state: inout KernelState) {
        switch operation {
        case .addNamespace(let namespace):
            state.insert(namespace)
            // A new namespace has its loopback device, down and unmarked.
            state.insert(Link(id: .init(.named(namespace.name), "lo"), kind: .loopback, up: false))
        case .deleteNamespace(let name):
            state.namespaces[name] = nil
            for link in state.links.values where link.id.namespace == .named(name) { removeLink(link.id, from: &state) }
            state.sysctls = state.sysctls.filter { $0.key.namespace != .named(name) }
            state.routes = state.routes.filter { $0.key.namespace != .named(name) }
            state.nftTables = state.nftTables.filter { $0.key.namespace != .named(name) }
            state.iptablesChains = state.iptablesChains.filter { $0.key.namespace != .named(name) }
            state.iptablesRules = state.iptablesRules.filter { $0.namespace != .named(name) }
            state.ipvsServices = state.ipvsServices.filter { $0.key.namespace != .named(name) }
        case .addLink(let link, let peer):
            state.insert(link)
            if let peer { state.insert(peer) }
        case .setLink(let link, _):
            // Marking the lo of an adopted empty namespace makes the namespace podnet's.
            if case .loopback = link.kind, let mark = link.mark, case .named(let name) = link.id.namespace,
               state.emptyUnmarkedNamespaces.remove(name) != nil {
                state.insert(Namespace(name: name, mark: mark))
            }
            state.insert(link)
        case .deleteLink(let id):
            removeLink(id, from: &state)
        case .addAddress(let address):
            state.insert(address)
        case .deleteAddress(let address):
            state.addresses.remove(address)
            // IPv4 routes via a gateway only this address made reachable go with it
            // (the kernel's fib_sync_down_addr); IPv6 keeps its routes, whose gateways
            // neighbour discovery finds on the link whatever the prefixes.
            guard address.family == .ipv4 else { break }
            let link = address.link
            let remaining = state.addresses.filter { $0.link == link }
            state.routes = state.routes.filter { _, route in
                guard route.id.namespace == link.namespace, route.device == link.name, let gateway = route.gateway,
                      !route.onlink, address.address.network.contains(gateway) else { return true }
                return remaining.contains { $0.address.network.contains(gateway) }
            }
        case .addRoute(let route), .replaceRoute(let route):
            state.insert(route)
        case .deleteRoute(let route):
            state.routes[route.id] = nil
        case .addNeighbour(let neighbour), .replaceNeighbour(let neighbour):
            state.insert(neighbour)
        case .deleteNeighbour(let neighbour):
            state.neighbours[neighbour.id] = nil
        case .addFDB(let entry):
            state.fdb.insert(entry)
        case .deleteFDB(let entry):
            state.fdb.remove(entry)
        case .setSysctl(let sysctl):
            state.insert(sysctl)
        case .iptables(let change, let namespace, let family):
            // The namespace's ruleset of the family, changed as iptables-restore would change it.
            let scope = IPTablesScope(namespace: namespace, family: family)
            var ruleset = state.iptablesRuleset(in: scope)
            change.apply(to: &ruleset)
            state.setIPTablesRuleset(ruleset, in: scope)
        case .ipvs(let change):
            apply(change, to: &state.ipvsServices)
        case .nftables(let change):
            // A change the simulator refuses would be refused by the kernel too: the
            // table is left as it was, and the property tests see the difference.
            let id = change.table
            if let table = try? NFTablesSimulator.apply([change], to: state.nftTables[id]) {
                state.nftTables[id] = table
            } else if case .deleteTable = change {
                state.nftTables[id] = nil
            }
        }
    }

    /// As the kernel does: a new service has no real servers; a real server is added
    /// only to an existing service, and not twice (EEXIST); deleting a service takes
    /// its real servers. A change the kernel would refuse leaves the state as it was.
    static func apply(_ change: IPVSChange, to services: inout [IPVSService.ID: IPVSService]) {
        switch change {
        case .addService(let service):
            guard services[service.id] == nil else { return }
            var new = service
            new.setDestinations([])
            services[service.id] = new
        case .editService(let service):
            guard var current = services[service.id] else { return }
            current.scheduler = service.scheduler
            current.flags = service.flags
            current.timeout = service.timeout
            services[service.id] = current
        case .deleteService(let id):
            services[id] = nil
        case .addDestination(let id, let destination):
            guard var current = services[id], current.destination(destination.id) == nil else { return }
            current.setDestinations(current.destinations + [destination])
            services[id] = current
        case .editDestination(let id, let destination):
            guard var current = services[id], current.destination(destination.id) != nil else { return }
            current.setDestinations(current.destinations + [destination])
            services[id] = current
        case .deleteDestination(let id, let destination):
            guard var current = services[id] else { return }
            current.setDestinations(current.destinations.filter { $0.id != destination })
            services[id] = current
        }
    }

    private static func removeLink(_ id: Link.ID, from state: inout KernelState) {
        guard let link = state.links.removeValue(forKey: id) else { return }
        state.addresses = state.addresses.filter { $0.link != id }
        state.routes = state.routes.filter { !($0.key.namespace == id.namespace && $0.value.device == id.name) }
        state.neighbours = state.neighbours.filter { $0.key.link != id }
        state.fdb = state.fdb.filter { $0.link != id }
        state.sysctls = state.sysctls.filter { !($0.key.namespace == id.namespace && $0.value.interface == id.name) }
        if case .veth(let peer) = link.kind { removeLink(peer, from: &state) }
        for port in state.links.values where port.id.namespace == id.namespace && port.master == id.name {
            state.links[port.id]?.master = nil
        }
    }
}
