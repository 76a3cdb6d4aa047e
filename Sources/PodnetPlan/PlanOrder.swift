import PodnetKernelModel

/// The dependency order of a plan, as layers of a DAG: every operation depends
/// only on operations of earlier layers (a namespace before its links, a bridge
/// before its ports, a tunnel's underlying device before the tunnel, an address
/// before routes through it; deletions in the reverse order, and before
/// creations so that names and addresses are free again). Within a layer the
/// order is the planner's (sorted by identity), so plans are deterministic, and
/// one layer's operations can go to the kernel in one pipelined batch.
public enum PlanOrder {
    public static func layer(of operation: Operation) -> Int {
        switch operation {
        case .deleteRoute, .deleteNeighbour, .deleteFDB: return 0
        case .deleteAddress: return 1
        // Link deletions need no order among themselves: a bridge's ports and a
        // tunnel survive the deletion of the bridge or of the underlying device.
        case .deleteLink: return 2
        case .deleteNamespace: return 4
        case .addNamespace: return 5
        case .setLink(let link, _) where link.kind == .loopback: return 6
        // An interface's own sysctl (net/ipv4/conf/IFNAME/…) exists once the link does.
        case .setSysctl(let sysctl) where sysctl.isInterfaceSpecific: return 10
        case .setSysctl: return 6
        case .addLink(let link, _):
            switch link.kind {
            case .bridge: return 7
            case .vxlan, .ipip: return 9   // over an underlying device
            default: return 8
            }
        case .setLink: return 10
        case .addAddress: return 11
        case .addRoute, .replaceRoute: return 12
        case .addNeighbour, .replaceNeighbour, .addFDB: return 13
        }
    }

    public static func sorted(_ operations: [PlannedOperation]) -> [PlannedOperation] {
        operations.enumerated()
            .sorted { (layer(of: $0.element.operation), $0.offset) < (layer(of: $1.element.operation), $1.offset) }
            .map(\.element)
    }

    /// The plan cut into layers, for pipelined execution.
    public static func layers(of plan: Plan) -> [[PlannedOperation]] {
        var layers: [[PlannedOperation]] = []
        var current = -1
        for planned in plan.operations {
            let layer = layer(of: planned.operation)
            if layer != current {
                layers.append([])
                current = layer
            }
            layers[layers.count - 1].append(planned)
        }
        return layers
    }
}
