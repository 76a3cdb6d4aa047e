import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// A cluster's topology as its live kernel state shows it, for `graph --cluster NAME`
/// (no file at hand): the nodes, pods, direct links and lab clients from the
/// namespaces' marks, their addresses, bridges and veth pairs; the backend from the
/// nodes' tunnel devices. What lives only in a file is not there: labels, selectors,
/// Kubernetes namespaces, policies, and services (their ClusterIPs are in the proxy's
/// rules, their names only in the file).
public enum LiveTopology {
    public static func reconstruct(cluster: String, from state: KernelState) -> Topology {
        func role(_ namespace: NamespaceRef) -> (kind: String, name: String)? {
            guard case .named(let name) = namespace, let mark = state.namespaces[name]?.mark else { return nil }
            let parts = mark.role.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            return (parts[0], parts[1].split(separator: "@").first.map(String.init) ?? parts[1])
        }
        func addresses(_ link: PodnetKernelModel.Link.ID) -> [IPv4Prefix] {
            state.addresses.filter { $0.link == link }.compactMap(\.address.ipv4).sorted { $0.address < $1.address }
        }
        /// The IPv6 side of a dual-stack cluster: the global addresses (the kernel's
        /// link-local ones are not read).
        func addressesV6(_ link: PodnetKernelModel.Link.ID) -> [IPv6Prefix] {
            state.addresses.filter { $0.link == link }.compactMap(\.address.ipv6).filter { !$0.address.isLinkLocal }
                .sorted { $0.address < $1.address }
        }

        var nodes: [Node] = []
        var pods: [Pod] = []
        var links: [PodnetTopology.Link] = []
        var clients: [Client] = []
        var underlay: IPv4Prefix?, underlayV6: IPv6Prefix?
        var linkedNetworks: [String: IPv4Prefix] = [:]
        var backend: Network.Backend = .hostGW
        for namespace in state.namespaces.keys.sorted() {
            let reference = NamespaceRef.named(namespace)
            guard let (kind, name) = role(reference) else { continue }
            let uplink = PodnetKernelModel.Link.ID(reference, KernelNames.nodeUplink)
            switch kind {
            case "node":
                // An IPv4 underlay address, an IPv6 one, or both.
                let address = addresses(uplink).first, addressV6 = addressesV6(uplink).first
                guard address != nil || addressV6 != nil else { continue }
                underlay = underlay ?? address?.network
                underlayV6 = underlayV6 ?? addressV6?.network
                let bridge = state.links.values.first { $0.id.namespace == reference && $0.kind == .bridge }
                let podCIDRv6 = bridge.flatMap { addressesV6($0.id).first?.network }
                // An IPv6-only cluster's bridge holds no IPv4 address: the node has no IPv4 pod CIDR.
                let podCIDR = bridge.flatMap { addresses($0.id).first?.network }
                    ?? (podCIDRv6 == nil ? address.map { IPv4Prefix(address: $0.address, length: 32) } : nil)
                var node = Node(name: name, address: address?.address, podCIDR: podCIDR, bridge: bridge?.id.name)
                node.addressV6 = addressV6?.address
                node.podCIDRv6 = podCIDRv6
                nodes.append(node)
                for link in state.links.values where link.id.namespace == reference {
                    if case .vxlan = link.kind { backend = .vxlan }
                    if case .ipip = link.kind { backend = .ipip }
                }
            case "client":
                let address = addresses(uplink).first, addressV6 = addressesV6(uplink).first
                if address != nil || addressV6 != nil {
                    clients.append(Client(name: name, address: address?.address, addressV6: addressV6?.address))
                }
            default:
                break
            }
        }
        for namespace in state.namespaces.keys.sorted() {
            let reference = NamespaceRef.named(namespace)
            guard let (kind, name) = role(reference), kind == "pod" else { continue }
            let eth0 = PodnetKernelModel.Link.ID(reference, KernelNames.podInterface)
            guard let link = state.links[eth0], case .veth(let peer) = link.kind else { continue }
            let address = addresses(eth0).first, addressV6 = addressesV6(eth0).first
            // Behind a bridge, the peer is in the node's namespace; a direct link's in the other pod's.
            if let (peerKind, peerName) = role(peer.namespace), peerKind == "node", address != nil || addressV6 != nil {
                pods.append(Pod(name: name, node: peerName, ip: address?.address, ipv6: addressV6?.address))
            } else if let (peerKind, peerName) = role(peer.namespace), peerKind == "pod", let address {
                linkedNetworks[name] = address.network
                pods.append(Pod(name: name, node: "", ip: address.address))
                if name < peerName { links.append(PodnetTopology.Link(pods: [name, peerName])) }
            }
        }
        // A bridge-less node's pods are tied to it by nothing in the kernel (their veth
        // pairs join them to each other): each network their addresses share goes to one
        // such node, in name order; the node's pod CIDR is that network.
        let networks = linkedNetworks.values.reduce(into: [IPv4Prefix]()) { if !$0.contains($1) { $0.append($1) } }.sorted { $0.address < $1.address }
        let bridgeless = nodes.indices.filter { nodes[$0].bridge == nil }
        for (index, network) in zip(bridgeless, networks) {
            nodes[index].podCIDR = network
            for pod in pods.indices where linkedNetworks[pods[pod].name] == network { pods[pod].node = nodes[index].name }
        }
        let covering = nodes.filter { $0.bridge != nil }.compactMap(\.podCIDR).reduce(nil as IPv4Prefix?) { covering, prefix in
            guard let covering else { return prefix }
            var candidate = covering
            while !candidate.contains(prefix), candidate.length > 0 { candidate = IPv4Prefix(address: candidate.address, length: candidate.length - 1).network }
            return candidate
        }
        // None in an IPv6-only cluster (its nodes have IPv6 pod CIDRs alone).
        let clusterCIDR = covering ?? (nodes.contains { $0.podCIDR != nil } || !nodes.contains { $0.podCIDRv6 != nil }
            ? IPv4Prefix(address: IPv4Address(10, 0, 0, 0), length: 8) : nil)
        // Dual stack: the IPv6 pod CIDRs' covering prefix, as IPv4's.
        let podCIDRsV6 = nodes.compactMap(\.podCIDRv6)
        let ipv6 = podCIDRsV6.first.map { first in
            ClusterIPv6(clusterCIDR: podCIDRsV6.dropFirst().reduce(first) { covering, prefix in
                var candidate = covering
                while !candidate.contains(prefix), candidate.length > 0 { candidate = IPv6Prefix(address: candidate.address, length: candidate.length - 1).network }
                return candidate
            }, underlayCIDR: underlayV6)
        }
        return Topology(name: cluster, clusterCIDR: clusterCIDR, serviceCIDR: nil, network: Network(backend: backend),
                        proxy: Proxy(), underlay: Underlay(cidr: underlay ?? (underlayV6 == nil ? Underlay.defaultCIDR : nil)),
                        nodes: nodes, pods: pods, links: links, services: [], clients: clients, ipv6: ipv6)
    }
}
