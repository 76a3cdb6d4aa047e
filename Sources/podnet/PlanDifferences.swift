import PodnetKernelModel
import PodnetPlan
import PodnetRender

/// A plan read back as what differs (`podnet graph --live`): an object the plan
/// creates is missing, one it deletes is extra, one it updates is changed.
enum PlanDifferences {
    static func of(_ plan: Plan) -> [ClusterGraph.Difference] {
        plan.operations.compactMap { difference($0.operation) }
    }

    /// Links in the cluster's namespaces that are not podnet's (added by hand): the
    /// planner leaves them alone, so no plan names them, but the picture shows them.
    static func foreignLinks(live: KernelState, desired: KernelState) -> [ClusterGraph.Difference] {
        live.links.values
            .filter { $0.mark == nil && $0.kind != .loopback && desired.links[$0.id] == nil }
            .sorted { $0.id < $1.id }
            .map { .init(.extra, link($0.id)) }
    }

    private static func link(_ id: Link.ID) -> ClusterGraph.KernelObject {
        .link(namespace: id.namespace.description, name: id.name)
    }

    private static func route(_ route: Route) -> ClusterGraph.KernelObject {
        .route(namespace: route.id.namespace.description, destination: "\(route.id.destination)")
    }

    private static func difference(_ operation: Operation) -> ClusterGraph.Difference? {
        switch operation {
        case .addNamespace(let namespace): return .init(.missing, .namespace(namespace.name))
        case .deleteNamespace(let name): return .init(.extra, .namespace(name))
        // A new namespace's lo is brought up by setLink with no current link: part of the missing namespace.
        case .setLink(_, nil): return nil
        case .addLink(let link, _): return .init(.missing, self.link(link.id))
        case .setLink(let link, _): return .init(.changed, self.link(link.id))
        case .deleteLink(let id): return .init(.extra, link(id))
        case .addAddress(let address), .deleteAddress(let address): return .init(.changed, link(address.link))
        case .addRoute(let route): return .init(.missing, self.route(route))
        case .replaceRoute(let route): return .init(.changed, self.route(route))
        case .deleteRoute(let route): return .init(.extra, self.route(route))
        // Neighbours, FDB entries, sysctls and the service proxy's rules: the namespace's holder changed.
        default: return .init(.changed, .namespace(operation.namespace.description))
        }
    }
}
