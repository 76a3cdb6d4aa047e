import PodnetKernelModel

extension Operation {
    /// create, update or delete: what the operation does to its object.
    public var action: String {
        switch self {
        case .setLink, .replaceRoute, .replaceNeighbour, .setSysctl, .nftables(.flushChain), .iptables(.replaceChain, _, _),
             .ipvs(.editService), .ipvs(.editDestination):
            return "update"
        case _ where isDeletion: return "delete"
        default: return "create"
        }
    }

    /// The object, in iproute2's words: "link br0 in lab.node-0".
    public var subject: String {
        switch self {
        case .addNamespace(let namespace): return "namespace \(namespace.name)"
        case .deleteNamespace(let name): return "namespace \(name)"
        case .addLink(let link, let peer):
            let pair = peer.map { " (veth pair with \($0.id.name) in \($0.id.namespace))" } ?? ""
            return "link \(link.id.name) in \(link.id.namespace)\(pair)"
        case .setLink(let link, _): return "link \(link.id.name) in \(link.id.namespace)"
        case .deleteLink(let id): return "link \(id.name) in \(id.namespace)"
        case .addAddress(let address), .deleteAddress(let address):
            return "address \(address.address) on \(address.link.name) in \(address.link.namespace)"
        case .addRoute(let route), .replaceRoute(let route), .deleteRoute(let route):
            let destination = route.id.destination.length == 0 ? "default" : route.id.destination.description
            return "route \(destination) in \(route.id.namespace)"
        case .addNeighbour(let neighbour), .replaceNeighbour(let neighbour), .deleteNeighbour(let neighbour):
            return "neighbour \(neighbour.id.address) on \(neighbour.id.link.name) in \(neighbour.id.link.namespace)"
        case .addFDB(let entry), .deleteFDB(let entry):
            return "fdb \(entry.mac) dst \(entry.destination) on \(entry.link.name) in \(entry.link.namespace)"
        case .setSysctl(let sysctl): return "sysctl \(sysctl.id.key) in \(sysctl.id.namespace)"
        case .nftables(let change): return "nftables \(change.description) in \(change.table.namespace)"
        case .iptables(let change, let namespace, let family): return "\(family.iptablesCommand) \(change) in \(namespace)"
        case .ipvs(let change):
            switch change {
            case .addService(let service), .editService(let service): return "ipvs service \(service.id) in \(service.id.namespace)"
            case .deleteService(let id): return "ipvs service \(id) in \(id.namespace)"
            case .addDestination(let id, let destination), .editDestination(let id, let destination):
                return "ipvs real server \(destination.id) of \(id) in \(id.namespace)"
            case .deleteDestination(let id, let destination): return "ipvs real server \(destination) of \(id) in \(id.namespace)"
            }
        }
    }
}
