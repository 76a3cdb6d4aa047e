import PodnetKernelModel

/// The dependency order of a plan, as layers of a DAG: every operation depends
/// only on operations of earlier layers (a namespace before its links, a bridge
/// before its ports, a tunnel's underlying device before the tunnel, an address
/// before routes through it; deletions in the reverse order, and before
/// creations so that names and addresses are free again). Within a layer the
/// order is the planner's (sorted by identity), so plans are deterministic, and
/// one layer's operations can go to the kernel in one pipelined batch.
public enum PlanOrder {
    /// The layer of `operation`; `newTunnels` are the tunnels the plan creates (an
    /// address on one of them waits for it).
    public static func layer(of operation: Operation, newTunnels: Set<Link.ID> = []) -> Int {
        switch operation {
        // An IPVS deletion goes before the kube-ipvs0 address that shows the server is
        // podnet's: a run stopped in between leaves nothing unrecognisable behind.
        case .deleteRoute, .deleteNeighbour, .deleteFDB: return 0
        case .ipvs(let change) where change.isDeletion: return 0
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
            // A tunnel comes up once its underlying device has its address: a
            // multicast VXLAN joins its group then, and an IGMP report sent from
            // an address-less device (source 0.0.0.0) can be lost to a snooping
            // switch, leaving the node deaf to the group until the next report.
            case .vxlan, .ipip, .sit: return 12
            default: return 8
            }
        case .setLink: return 10
        case .addAddress(let address) where newTunnels.contains(address.link): return 13
        case .addAddress: return 11
        case .addRoute, .replaceRoute: return 14
        case .addNeighbour, .replaceNeighbour, .addFDB: return 15
        // One layer, in the diff's own order: each namespace's changes are one
        // nf_tables transaction, valid as a whole (sets and chains before the rules
        // naming them, rules before the chains they leave).
        case .nftables: return 16
        // One transaction per namespace (iptables-restore), ordered by the executor.
        case .iptables: return 17
        // One batch per namespace, in the diff's order (a service before its real
        // servers); after the netfilter rules, so that a new ClusterIP port without
        // endpoints is refused by its reject rule from its first moment. Deletions
        // are in layer 0.
        case .ipvs: return 18
        }
    }

    /// The tunnels (VXLAN, IP-in-IP) that `operations` create.
    static func newTunnels(in operations: [PlannedOperation]) -> Set<Link.ID> {
        var tunnels: Set<Link.ID> = []
        for planned in operations {
            guard case .addLink(let link, _) = planned.operation else { continue }
            switch link.kind {
            case .vxlan, .ipip, .sit: tunnels.insert(link.id)
            default: break
            }
        }
        return tunnels
    }

    public static func sorted(_ operations: [PlannedOperation]) -> [PlannedOperation] {
        let tunnels = newTunnels(in: operations)
        return operations.enumerated()
            .map { (layer: layer(of: $0.element.operation, newTunnels: tunnels), offset: $0.offset, planned: $0.element) }
            .sorted { ($0.layer, $0.offset) < ($1.layer, $1.offset) }
            .map(\.planned)
    }

    /// The plan cut into layers, for pipelined execution.
    public static func layers(of plan: Plan) -> [[PlannedOperation]] {
        let tunnels = newTunnels(in: plan.operations)
        var layers: [[PlannedOperation]] = []
        var current = -1
        for planned in plan.operations {
            let layer = layer(of: planned.operation, newTunnels: tunnels)
            if layer != current {
                layers.append([])
                current = layer
            }
            layers[layers.count - 1].append(planned)
        }
        return layers
    }
}
