import PodnetAddress
import PodnetYAML

/// A client that passed its checks, with the spec it came from (for positions).
struct ResolvedClient {
    var client: Client
    var spec: ClientSpec
}

/// Validates lab clients (hosts outside the cluster, on the underlay) and gives
/// each an underlay address: explicit first, then live (sticky), then the next
/// free one after the nodes', from the same 4th host upward. Host mode ignores
/// clients; that is the CLI's choice, not resolution's.
struct ClientResolver {
    let log: DiagnosticLog
    let live: LiveAssignments

    /// The addresses clients will hold that node allocation must skip, so that
    /// adding a node never takes a client's address: those written, and the live
    /// ones of clients that have none written. A node written with one of them
    /// still gets it; the client then reports the clash (written) or moves (live).
    static func heldAddresses(_ specs: [ClientSpec], live: LiveAssignments) -> Set<IPv4Address> {
        held(specs, written: \.address, live: live.clientAddresses)
    }

    /// The same in the IPv6 underlay.
    static func heldAddressesV6(_ specs: [ClientSpec], live: LiveAssignments) -> Set<IPv6Address> {
        held(specs, written: \.addressV6, live: live.clientAddressesV6)
    }

    /// Each client's written address of one family, or its live one.
    private static func held<Address: Hashable>(_ specs: [ClientSpec], written: KeyPath<ClientSpec, Located<Address>?>,
                                               live: [String: Address]) -> Set<Address> {
        Set(specs.compactMap { spec in spec[keyPath: written]?.value ?? spec.name.flatMap { live[$0.value] } })
    }

    /// - Parameter underlayIPv6Only: the underlay has an IPv6 prefix alone (`underlay`
    ///   nil then means that, not a misread underlay.cidr).
    func resolve(_ specs: [ClientSpec], underlay: IPv4Prefix?, underlayV6: IPv6Prefix? = nil, underlayIPv6Only: Bool = false,
                 nodes: [ResolvedNode], names: inout NameRegistry) -> [ResolvedClient] {
        var valid: [ClientSpec] = []
        for spec in specs {
            guard let name = spec.name else { continue }
            var ok = true
            if let problem = Names.dnsLabelProblem(name.value) {
                log.error(name.mark, "client name '\(name.value)' \(problem)")
                ok = false
            } else if name.value == "underlay" {
                log.error(name.mark, "the client name 'underlay' is reserved: the lab's underlay network lives in the namespace CLUSTER.underlay")
                ok = false
            }
            ok = names.register(name, kind: "client") && ok
            if ok, spec.invalid.isEmpty { valid.append(spec) }
        }
        guard underlay != nil || underlayIPv6Only, !valid.isEmpty else { return [] }
        let addresses = underlay.map { allocateAddresses(valid, underlay: $0, nodes: nodes) } ?? [:]
        if underlayIPv6Only {
            for spec in valid {
                guard let address = spec.address else { continue }
                log.error(address.mark, "client '\(spec.name!.value)' address \(address.value) is IPv4, but underlay.cidr has no IPv4 prefix; add one, like 'cidr: [\(underlayV6.map { "\($0)" } ?? "fd00:64::/64"), 192.168.64.0/24]', or remove the address")
            }
        }
        let addressesV6 = allocateIPv6Addresses(valid, underlay: underlayV6, nodes: nodes)
        return valid.compactMap { spec in
            let name = spec.name!.value
            // A family the underlay has that the client did not get was reported.
            if underlay != nil, addresses[name] == nil { return nil }
            // An IPv6 underlay without an address for the client was reported.
            if underlayV6 != nil, addressesV6[name] == nil { return nil }
            return ResolvedClient(client: Client(name: name, address: addresses[name], addressV6: addressesV6[name]), spec: spec)
        }
    }

    private func allocateAddresses(_ specs: [ClientSpec], underlay: IPv4Prefix, nodes: [ResolvedNode]) -> [String: IPv4Address] {
        let nodesByAddress = Dictionary(nodes.compactMap { node in node.node.address.map { ($0, node) } }, uniquingKeysWith: { first, _ in first })
        var pool = AddressPool(prefix: underlay, from: underlay.first.advanced(by: NodeResolver.firstNodeHost),
                               taken: Set(nodesByAddress.keys))
        let requests = specs.map { StickyAddressAllocation<AddressPool>.Request(name: $0.name!, written: $0.address, mark: $0.mark) }
        return StickyAddressAllocation(log: log).allocate(requests, pool: &pool, live: live.clientAddresses, problems: .init(
            refusal: { [pool] address, name in
                if !underlay.contains(address.value) {
                    return "client '\(name.value)' address \(address.value) is outside underlay.cidr \(underlay); clients live on the underlay, with the nodes: pick an address in it"
                }
                if !pool.isHost(address.value) {
                    return "client '\(name.value)' address \(address.value) is the \(address.value == underlay.first ? "network" : "broadcast") address of underlay.cidr \(underlay)"
                }
                if let node = nodesByAddress[address.value] {
                    return "client '\(name.value)' address \(address.value) is taken by node '\(node.node.name)' (line \(node.spec.mark.line)); pick another address, or leave it out to have one allocated"
                }
                return nil
            },
            taken: Self.takenByClient,
            exhausted: { name in "no free address left in underlay.cidr \(underlay) for client '\(name)' (clients take the addresses after the nodes'); widen underlay.cidr or give the client an address" }))
    }

    /// A written client address that an earlier client wrote, in either family.
    static func takenByClient<Address>(_ address: Address, _ owner: Located<String>, _ name: Located<String>) -> String {
        "client '\(name.value)' address \(address) is taken by client '\(owner.value)' (line \(owner.mark.line)); pick another address, or leave it out to have one allocated"
    }
}
