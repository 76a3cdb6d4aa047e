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
    public func nftTable(cluster: String, in namespace: NamespaceRef) -> NFTable? {
        guard !services.isEmpty || podEgress != nil else { return nil }
        typealias Ruleset = IPVSNFTablesRuleset
        var table = NFTable(id: NFTable.ID(namespace: namespace, family: .ip, name: NFTable.podnetName(cluster: cluster)),
                            comment: "podnet cluster \(cluster): ipvs hairpin masquerade and rejects")
        let protocolNumber: (IPVSProtocol) -> UInt8 = { UInt8($0.number) }
        var hairpin = NFTSet(name: Ruleset.hairpinSet, keyType: [.ipv4Address, .inetProto, .inetService, .ipv4Address],
                             comment: "endpoints reaching themselves through their service")
        hairpin.elements = hairpins.map {
            NFTSetElement(key: [.ipv4($0.endpoint), .inetProto(protocolNumber($0.protocol)), .inetService($0.port), .ipv4($0.endpoint)])
        }
        var noEndpoints = NFTSet(name: Ruleset.noEndpointsSet, keyType: [.ipv4Address, .inetProto, .inetService],
                                 comment: "virtual servers of services without endpoints")
        noEndpoints.elements = rejections.map {
            NFTSetElement(key: [.ipv4($0.address), .inetProto(protocolNumber($0.protocol)), .inetService($0.port)])
        }
        var external = NFTSet(name: Ruleset.externalMasqueradeSet, keyType: [.ipv4Address, .inetProto, .inetService],
                              comment: "NodePorts and external IPs of externalTrafficPolicy Cluster")
        external.elements = masqueradedExternal.map(\.setElement)
        var noLocal = NFTSet(name: Ruleset.noLocalEndpointsSet, keyType: [.ipv4Address, .inetProto, .inetService],
                             comment: "Local traffic policy without an endpoint on this node")
        noLocal.elements = noLocalEndpoints.map(\.setElement)
        for set in [hairpin, noEndpoints, external, noLocal] { table.insert(set) }
        // ip daddr . meta l4proto . th dport @external-masquerade meta mark set meta mark | 0x4000:
        // before IPVS (LOCAL_IN) rewrites the destination, as kube-proxy's KUBE-NODE-PORT
        // and KUBE-EXTERNAL-IP rules mark it; the mark stays on the packet IPVS sends on.
        let mark = Ruleset.masqueradeMark
        table.insert(NFTChain(name: Ruleset.natPrerouting,
                              base: NFTBaseChain(type: .nat, hook: .prerouting, priority: NFTBaseChain.dstnatPriority),
                              rules: [NFTRule(NFTExpression.serviceTuple + [NFTExpression.setMembership(Ruleset.externalMasqueradeSet)]
                                              + NFTExpression.markSetting(mark))]))
        // ip daddr . meta l4proto . th dport . ip saddr @hairpin masquerade
        let hairpinKey = NFTExpression.serviceTuple
            + [.payload(NFTPayload(base: .network, offset: NFTAddressField.source.offset(in: .ipv4), length: 4, into: NFTRegister.word(3)))]
        var postrouting = [
            NFTRule(hairpinKey + [NFTExpression.setMembership(Ruleset.hairpinSet), .masquerade(flags: NFTNat.fullyRandom)]),
            // meta mark & 0x4000 != 0 masquerade
            NFTRule([.metaLoad(.mark, into: NFTRegister.first),
                     .bitwise(NFTBitwise(mask: NFTExpression.hostBytes(mark), xor: NFTExpression.hostBytes(0))),
                     .compare(NFTComparison(.notEqual, NFTExpression.hostBytes(0))),
                     .masquerade(flags: NFTNat.fullyRandom)]),
        ]
        if let podEgress {
            // ip saddr CIDR ip daddr != CIDR masquerade
            postrouting.append(NFTRule(NFTExpression.ipAddress(.source, in: podEgress)
                                       + NFTExpression.ipAddress(.destination, in: podEgress, negated: true)
                                       + [.masquerade(flags: NFTNat.fullyRandom)]))
        }
        table.insert(NFTChain(name: Ruleset.natPostrouting,
                              base: NFTBaseChain(type: .nat, hook: .postrouting, priority: NFTBaseChain.srcnatPriority),
                              rules: postrouting))
        // TCP: a reset, which a client's locked socket still takes; the rest: ICMP.
        // No local endpoint: a drop, which IPVS would answer with ICMP port unreachable.
        table.insert(NFTChain(name: Ruleset.filterInput, base: NFTBaseChain(type: .filter, hook: .input, priority: 0), rules: [
            NFTRule(NFTExpression.layer4Protocol(equals: 6) + NFTExpression.serviceTuple
                    + [NFTExpression.setMembership(Ruleset.noEndpointsSet), .reject(.tcpReset)]),
            NFTRule(NFTExpression.serviceTuple + [NFTExpression.setMembership(Ruleset.noEndpointsSet), .reject(.portUnreachable)]),
            NFTRule(NFTExpression.serviceTuple + [NFTExpression.setMembership(Ruleset.noLocalEndpointsSet), .verdict(.drop)]),
        ]))
        return table
    }
}
