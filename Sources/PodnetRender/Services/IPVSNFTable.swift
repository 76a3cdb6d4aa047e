import PodnetAddress
import PodnetKernelModel

extension IPVSProxyObjects {
    /// The node's netfilter rules for ipvs mode as podnet's own nftables table
    /// (`podnet-CLUSTER`, family ip: the table nftables mode owns, so that the planner,
    /// executor and reader treat it like any other), holding what
    /// `IPVSNFTablesRuleset` shows as text: the `hairpin` set and the masquerades in
    /// `nat-postrouting`; the `external-masquerade` set and its mark in
    /// `nat-prerouting`; the `no-endpoint-services` and `no-local-endpoints` sets and
    /// their rejects and drop in `filter-input` (input hook, priority filter: ahead of
    /// IPVS on LOCAL_IN). With `network.masquerade`, `nat-postrouting` also
    /// masquerades pod traffic leaving the cluster CIDR (`podEgress`): IPVS forwards
    /// service traffic to pods, inside the CIDR, so it is never masqueraded twice.
    /// Empty sets and their rules are kept, so that a change of a service's type,
    /// policy or nodePort only edits elements.
    /// nil when there is nothing to hold.
    ///
    /// One table per family (`family`): `ip podnet-CLUSTER` for IPv4, `ip6 podnet-CLUSTER`
    /// for IPv6, the same sets and rules with `ip6 daddr` and `ipv6_addr` in place of
    /// `ip daddr` and `ipv4_addr`, and ICMPv6 port unreachable for the UDP rejects
    /// (the TCP reset is the same in both). Each holds its family's entries only.
    /// nil when there is nothing to hold in the family.
    public func nftTable(cluster: String, in namespace: NamespaceRef, family: AddressFamily = .ipv4) -> NFTable? {
        let egress = podEgress.first { $0.family == family }
        guard services.contains(where: { $0.id.family == family }) || egress != nil else { return nil }
        typealias Ruleset = IPVSNFTablesRuleset
        var table = NFTable(id: NFTable.ID(namespace: namespace, family: NFTFamily(family), name: NFTable.podnetName(cluster: cluster)),
                            comment: "podnet cluster \(cluster): ipvs hairpin masquerade and rejects")
        let protocolNumber: (IPVSProtocol) -> UInt8 = { UInt8($0.number) }
        let address = NFTDataType.address(family)
        var hairpin = NFTSet(name: Ruleset.hairpinSet, keyType: [address, .inetProto, .inetService, address],
                             comment: "endpoints reaching themselves through their service")
        hairpin.elements = hairpins.filter { $0.endpoint.family == family }.map {
            NFTSetElement(key: [NFTValue($0.endpoint), .inetProto(protocolNumber($0.protocol)), .inetService($0.port), NFTValue($0.endpoint)])
        }
        var noEndpoints = NFTSet(name: Ruleset.noEndpointsSet, keyType: [address, .inetProto, .inetService],
                                 comment: "virtual servers of services without endpoints")
        noEndpoints.elements = rejections.filter { $0.address.family == family }.map {
            NFTSetElement(key: [NFTValue($0.address), .inetProto(protocolNumber($0.protocol)), .inetService($0.port)])
        }
        var external = NFTSet(name: Ruleset.externalMasqueradeSet, keyType: [address, .inetProto, .inetService],
                              comment: "NodePorts and external IPs of externalTrafficPolicy Cluster")
        external.elements = masqueradedExternal.filter { $0.address.family == family }.map(\.setElement)
        var noLocal = NFTSet(name: Ruleset.noLocalEndpointsSet, keyType: [address, .inetProto, .inetService],
                             comment: "Local traffic policy without an endpoint on this node")
        noLocal.elements = noLocalEndpoints.filter { $0.address.family == family }.map(\.setElement)
        for set in [hairpin, noEndpoints, external, noLocal] { table.insert(set) }
        let tuple = NFTExpression.serviceTuple(family)
        // ip daddr . meta l4proto . th dport @external-masquerade meta mark set meta mark | 0x4000:
        // before IPVS (LOCAL_IN) rewrites the destination, as kube-proxy's KUBE-NODE-PORT
        // and KUBE-EXTERNAL-IP rules mark it; the mark stays on the packet IPVS sends on.
        let mark = Ruleset.masqueradeMark
        table.insert(NFTChain(name: Ruleset.natPrerouting,
                              base: NFTBaseChain(type: .nat, hook: .prerouting, priority: NFTBaseChain.dstnatPriority),
                              rules: [NFTRule(tuple + [NFTExpression.setMembership(Ruleset.externalMasqueradeSet)]
                                              + NFTExpression.markSetting(mark))]))
        // ip daddr . meta l4proto . th dport . ip saddr @hairpin masquerade: the source
        // after the tuple's registers (word 3 in IPv4; word 6 after IPv6's four-word address).
        let sourceWord = family.addressBytes / 4 + 2
        let hairpinKey = tuple
            + [.payload(NFTPayload(base: .network, offset: NFTAddressField.source.offset(in: family), length: UInt32(family.addressBytes),
                                   into: NFTRegister.word(sourceWord)))]
        var postrouting = [
            NFTRule(hairpinKey + [NFTExpression.setMembership(Ruleset.hairpinSet), .masquerade(flags: NFTNat.fullyRandom)]),
            // meta mark & 0x4000 != 0 masquerade
            NFTRule([.metaLoad(.mark, into: NFTRegister.first),
                     .bitwise(NFTBitwise(mask: NFTExpression.hostBytes(mark), xor: NFTExpression.hostBytes(0))),
                     .compare(NFTComparison(.notEqual, NFTExpression.hostBytes(0))),
                     .masquerade(flags: NFTNat.fullyRandom)]),
        ]
        if let egress {
            // ip saddr CIDR ip daddr != CIDR masquerade
            postrouting.append(NFTRule(NFTExpression.ipAddress(.source, in: egress)
                                       + NFTExpression.ipAddress(.destination, in: egress, negated: true)
                                       + [.masquerade(flags: NFTNat.fullyRandom)]))
        }
        table.insert(NFTChain(name: Ruleset.natPostrouting,
                              base: NFTBaseChain(type: .nat, hook: .postrouting, priority: NFTBaseChain.srcnatPriority),
                              rules: postrouting))
        // TCP: a reset, which a client's locked socket still takes; the rest: ICMP
        // (ICMPv6) port unreachable. No local endpoint: a drop, which IPVS would
        // answer with ICMP port unreachable.
        table.insert(NFTChain(name: Ruleset.filterInput, base: NFTBaseChain(type: .filter, hook: .input, priority: 0), rules: [
            NFTRule(NFTExpression.layer4Protocol(equals: 6) + tuple
                    + [NFTExpression.setMembership(Ruleset.noEndpointsSet), .reject(.tcpReset)]),
            NFTRule(tuple + [NFTExpression.setMembership(Ruleset.noEndpointsSet), .reject(.portUnreachable(family))]),
            NFTRule(tuple + [NFTExpression.setMembership(Ruleset.noLocalEndpointsSet), .verdict(.drop)]),
        ]))
        return table
    }
}
