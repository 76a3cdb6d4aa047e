import PodnetAddress
import PodnetYAML

/// The IPv6 side of client allocation, as IPv4's: a client on a dual-stack underlay
/// gets an IPv6 address there too (written, live, then the next free one after the
/// nodes'), so that it reaches NodePorts at the nodes' IPv6 addresses.
extension ClientResolver {
    func allocateIPv6Addresses(_ specs: [ClientSpec], underlay: IPv6Prefix?, nodes: [ResolvedNode]) -> [String: IPv6Address] {
        guard let underlay else {
            for spec in specs {
                guard let address = spec.addressV6 else { continue }
                log.error(address.mark, "client '\(spec.name!.value)' address \(address.value) is IPv6, but underlay.cidr has no IPv6 prefix; add one, like 'cidr: [192.168.64.0/24, fd00:64::/64]' under underlay, or remove the address")
            }
            return [:]
        }
        let nodesByAddress = Dictionary(nodes.compactMap { node in node.node.addressV6.map { ($0, node) } }, uniquingKeysWith: { first, _ in first })
        var pool = IPv6AddressPool(prefix: underlay, firstHost: NodeResolver.firstIPv6NodeHost, taken: Set(nodesByAddress.keys))
        let requests = specs.map { StickyAddressAllocation<IPv6AddressPool>.Request(name: $0.name!, written: $0.addressV6, mark: $0.mark) }
        return StickyAddressAllocation(log: log).allocate(requests, pool: &pool, live: live.clientAddressesV6, problems: .init(
            refusal: { [pool] address, name in
                if !underlay.contains(address.value) {
                    return "client '\(name.value)' address \(address.value) is outside the IPv6 underlay.cidr \(underlay); clients live on the underlay, with the nodes: pick an address in it"
                }
                if !pool.isHost(address.value) {
                    return "client '\(name.value)' address \(address.value) is the subnet-router anycast address of underlay.cidr \(underlay) (its first address); pick another"
                }
                if let node = nodesByAddress[address.value] {
                    return "client '\(name.value)' address \(address.value) is taken by node '\(node.node.name)' (line \(node.spec.mark.line)); pick another address, or leave it out to have one allocated"
                }
                return nil
            },
            taken: Self.takenByClient,
            exhausted: { name in "no free IPv6 address left in underlay.cidr \(underlay) for client '\(name)' (clients take the addresses after the nodes'); widen underlay.cidr or give the client an address" }))
    }
}
