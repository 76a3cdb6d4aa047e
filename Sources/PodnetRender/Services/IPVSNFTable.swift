import PodnetAddress
import PodnetKernelModel

extension IPVSProxyObjects {
    /// The node's netfilter rules for ipvs mode as podnet's own nftables table
    /// (`podnet-CLUSTER`, family ip: the table nftables mode owns, so that the planner,
    /// executor and reader treat it like any other), holding what
    /// `IPVSNFTablesRuleset` shows as text: the `hairpin` set and the masquerade in
    /// `nat-postrouting`, the `no-endpoint-services` set and the rejects in
    /// `filter-input` (input hook, priority filter: ahead of IPVS on LOCAL_IN).
    /// With `network.masquerade`, `nat-postrouting` also masquerades pod traffic
    /// leaving the cluster CIDR (`podEgress`): IPVS forwards service traffic to pods,
    /// inside the CIDR, so it is never masqueraded twice.
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
                                 comment: "ClusterIP ports without endpoints")
        noEndpoints.elements = rejections.map {
            NFTSetElement(key: [.ipv4($0.clusterIP), .inetProto(protocolNumber($0.protocol)), .inetService($0.port)])
        }
        table.insert(hairpin)
        table.insert(noEndpoints)
        // ip daddr . meta l4proto . th dport . ip saddr @hairpin masquerade
        let hairpinKey = NFTExpression.serviceTuple
            + [.payload(NFTPayload(base: .network, offset: IPv4Field.source.offset, length: 4, into: NFTRegister.word(3)))]
        var postrouting = [NFTRule(hairpinKey + [NFTExpression.setMembership(Ruleset.hairpinSet), .masquerade(flags: NFTNat.fullyRandom)])]
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
        table.insert(NFTChain(name: Ruleset.filterInput, base: NFTBaseChain(type: .filter, hook: .input, priority: 0), rules: [
            NFTRule(NFTExpression.layer4Protocol(equals: 6) + NFTExpression.serviceTuple
                    + [NFTExpression.setMembership(Ruleset.noEndpointsSet), .reject(.tcpReset)]),
            NFTRule(NFTExpression.serviceTuple + [NFTExpression.setMembership(Ruleset.noEndpointsSet), .reject(.portUnreachable)]),
        ]))
        return table
    }
}
