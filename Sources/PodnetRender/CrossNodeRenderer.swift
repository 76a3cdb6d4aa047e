import PodnetAddress
import PodnetKernelModel
import PodnetTopology

/// How one node reaches the pods of the others, per `network.backend` (seed 003 §4):
/// the tunnel device, its address, and the routes, neighbour and FDB entries. The
/// same for lab and host mode; only the namespace, the uplink's name and the route
/// protocol differ.
///
/// A cluster of one node gets none of it: there is no other node to reach, and a
/// tunnel device nobody asked for would only puzzle a student reading `ip link`.
struct CrossNodeRenderer {
    let topology: Topology
    /// Where the node's objects live: its lab namespace, or `.current` on a host.
    let namespace: NamespaceRef
    /// The node's uplink (its underlay interface).
    let uplink: String
    /// The protocol of the routes podnet adds (its own in a namespace it does not own).
    let routeProtocol: UInt8
    let mark: OwnershipMark

    func render(_ node: Node, into state: inout KernelState) {
        let others = topology.nodes.filter { $0.name != node.name }
        guard !others.isEmpty else { return }
        switch topology.network.backend {
        case .hostGW: renderHostGateway(others, into: &state)
        case .ipip: renderIPIP(node, others: others, into: &state)
        case .vxlan:
            switch topology.network.vxlan.discovery {
            case .static: renderStaticVXLAN(node, others: others, into: &state)
            case .multicast: renderMulticastVXLAN(node, into: &state)
            }
        }
    }

    private func route(to destination: IPPrefix, via gateway: IPAddress?, device: String, onlink: Bool = false) -> Route {
        Route(id: .init(namespace: namespace, destination: destination), gateway: gateway, device: device,
              onlink: onlink, protocol: routeProtocol)
    }

    /// host-gw (§4.1): a route to every other node's pod CIDR via its underlay
    /// address, in each family (validation makes a dual-stack host-gw cluster give
    /// its nodes IPv6 addresses: no IPv6 route can go via an IPv4 gateway).
    private func renderHostGateway(_ others: [Node], into state: inout KernelState) {
        for family in topology.families {
            for other in others {
                guard let podCIDR = other.podCIDR(family), let address = other.address(family) else { continue }
                state.insert(route(to: podCIDR, via: address, device: uplink))
            }
        }
    }

    /// IP-in-IP (§4.2, Calico's IPIP mode): one tunnel device with no fixed remote;
    /// each route's gateway, a remote node's address, becomes the outer destination
    /// (`onlink`: no prefix on the tunnel covers it). The tunnel holds the gateway
    /// address as a /32, as the seed gives it, so the node's own traffic to remote
    /// pods has a source the remote side can answer.
    /// An IPv6-only cluster has the `sit` tunnel alone.
    private func renderIPIP(_ node: Node, others: [Node], into state: inout KernelState) {
        if topology.usesIPv4 {
            let tunnel = Link.ID(namespace, KernelNames.ipipDevice)
            state.insert(Link(id: tunnel, kind: .ipip(IPIPDevice(local: node.address, device: uplink)),
                              mtu: topology.podMTU, up: true, mark: mark))
            if node.bridge != nil, let gateway = node.gateway {
                state.insert(Address(link: tunnel, address: IPv4Prefix(address: gateway, length: 32)))
            }
            for other in others {
                guard let podCIDR = other.podCIDR, let address = other.address else { continue }
                state.insert(route(to: .v4(podCIDR), via: .v4(address), device: KernelNames.ipipDevice, onlink: true))
            }
        }
        if topology.ipv6 != nil { renderSIT(node, others: others, into: &state) }
    }

    /// IPv6 pods over IP-in-IP: ipip carries only IPv4, so a second tunnel, `sit`
    /// (6in4, protocol 41), carries the IPv6 ones over the same IPv4 underlay, with
    /// no fixed remote either. A route's gateway names the remote node as an
    /// IPv4-compatible address (`::192.168.64.5`), from whose last 32 bits sit takes
    /// the outer destination, as ipip takes it from an IPv4 gateway. The node's own
    /// IPv6 traffic takes the bridge's global address as its source (RFC 6724).
    private func renderSIT(_ node: Node, others: [Node], into state: inout KernelState) {
        let tunnel = Link.ID(namespace, KernelNames.sitDevice)
        state.insert(Link(id: tunnel, kind: .sit(IPIPDevice(local: node.address, device: uplink)),
                          mtu: topology.podMTU, up: true, mark: mark))
        for other in others {
            // Validation gives ipip's nodes IPv4 addresses: sit's outer packets are IPv4.
            guard let podCIDR = other.podCIDR(.ipv6), let address = other.address else { continue }
            state.insert(route(to: podCIDR, via: .v6(IPv6Address(ipv4Compatible: address)), device: KernelNames.sitDevice,
                               onlink: true))
        }
    }

    /// Static VXLAN (flannel's way): the device knows no one by itself (no learning,
    /// no group); per remote node exactly one route to its pod CIDR via its endpoint
    /// address (the network address of its pod CIDR, held as a /32 by its device),
    /// one permanent neighbour entry giving that address the remote device's MAC, and
    /// one FDB entry sending that MAC to the remote node. Adding a node adds exactly
    /// these three to each other node.
    ///
    /// IPv6 pods ride the same device over the same (IPv4) underlay: the inner frame
    /// is Ethernet whatever it carries. Per remote node, a route to its IPv6 pod CIDR
    /// via that CIDR's first address (flannel's IPv6 endpoint) and a permanent
    /// neighbour entry giving it the same remote MAC; the FDB entry serves both. The
    /// device holds no IPv6 endpoint address: the node's own IPv6 traffic takes the
    /// bridge's global address as its source (RFC 6724), which the remote node can
    /// answer, and a /128 there would be the subnet-router anycast address the
    /// kernel already joins for the bridge's /64.
    private func renderStaticVXLAN(_ node: Node, others: [Node], into state: inout KernelState) {
        let vxlan = topology.network.vxlan
        let device = Link.ID(namespace, KernelNames.vxlanDevice)
        // The VTEPs talk over IPv4, or over IPv6 on an IPv6-only underlay.
        state.insert(Link(id: device, kind: .vxlan(VXLANDevice(vni: vxlan.vni, port: vxlan.port, local: node.underlayAddress,
                                                                group: nil, device: uplink, learning: false)),
                          mtu: topology.podMTU, up: true, mark: mark,
                          mac: KernelNames.vtepMAC(cluster: topology.name, node: node.name)))
        // No IPv4 endpoint address in an IPv6-only cluster (see above for IPv6's).
        if let podCIDR = node.podCIDR { state.insert(Address(link: device, address: IPv4Prefix(address: podCIDR.first, length: 32))) }
        for other in others {
            let mac = KernelNames.vtepMAC(cluster: topology.name, node: other.name)
            for family in topology.families {
                guard let podCIDR = other.podCIDR(family) else { continue }
                let endpoint = podCIDR.first
                state.insert(route(to: podCIDR, via: endpoint, device: KernelNames.vxlanDevice, onlink: true))
                state.insert(Neighbour(id: .init(link: device, address: endpoint), mac: mac))
            }
            if let remote = other.underlayAddress { state.insert(FDBEntry(id: .init(link: device, mac: mac, destination: remote))) }
        }
    }

    /// Multicast VXLAN (§4.3): the device is a port of the pod bridge and learns
    /// remote MACs through the group, so the pod bridge carries one route for the
    /// whole cluster CIDR (one per family) and nothing names another node. A node without a pod
    /// bridge has nothing to attach the device to.
    private func renderMulticastVXLAN(_ node: Node, into state: inout KernelState) {
        guard let bridge = node.bridge else { return }
        let vxlan = topology.network.vxlan
        state.insert(Link(id: .init(namespace, KernelNames.vxlanDevice),
                          kind: .vxlan(VXLANDevice(vni: vxlan.vni, port: vxlan.port, local: node.address.map(IPAddress.v4),
                                                   group: vxlan.group, device: uplink, learning: true)),
                          mtu: topology.podMTU, up: true, master: bridge, mark: mark))
        for family in topology.families {
            guard let clusterCIDR = topology.clusterCIDR(family) else { continue }
            state.insert(route(to: clusterCIDR, via: nil, device: bridge))
        }
    }
}
