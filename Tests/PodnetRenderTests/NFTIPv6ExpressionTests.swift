import PodnetAddress
import PodnetKernelModel
import Testing

/// The IPv6 forms of the expressions podnet writes, as nft would print them: the
/// `ip6` header offsets, 16-byte registers, `dnat to [ADDRESS]:PORT` and what `reject`
/// alone means in family ip6.
@Suite struct NFTIPv6ExpressionTests {
    private func text(_ expressions: [NFTExpression], family: NFTFamily = .ip6) -> String? {
        NFTSyntax.text(of: NFTRule(expressions), family: family)
    }

    private let pod = IPAddress("fd00:200::2")!

    @Test func addressMatchesUseTheIPv6HeaderOffsets() {
        #expect(text(NFTExpression.ipAddress(.source, equals: pod)) == "ip6 saddr fd00:200::2")
        #expect(text(NFTExpression.ipAddress(.destination, equals: pod, negated: true)) == "ip6 daddr != fd00:200::2")
        let load = NFTExpression.ipAddressLoad(.source, family: .ipv6)
        #expect(load == [.payload(NFTPayload(base: .network, offset: 8, length: 16))])
        #expect(NFTExpression.ipAddressLoad(.destination, family: .ipv6)
            == [.payload(NFTPayload(base: .network, offset: 24, length: 16))])
    }

    @Test func prefixesLoadTheirWholeBytesOrMaskAFullLoad() {
        let cluster = IPPrefix("fd00:200::/56")!
        #expect(NFTExpression.ipAddress(.source, in: cluster)
            == [.payload(NFTPayload(base: .network, offset: 8, length: 7)), .compare(NFTComparison(.equal, Array(cluster.address.bytes[0..<7])))])
        #expect(text(NFTExpression.ipAddress(.source, in: cluster)) == "ip6 saddr fd00:200::/56")
        #expect(text(NFTExpression.ipAddress(.destination, in: IPPrefix("fd00:200::/61")!, negated: true)) == "ip6 daddr != fd00:200::/61")
        #expect(NFTExpression.ipAddress(.source, in: IPPrefix("::/0")!) == [])
        // The IPv4 forms are unchanged.
        #expect(text(NFTExpression.ipAddress(.source, in: IPv4Prefix("10.200.0.0/17")!), family: .ip) == "ip saddr 10.200.0.0/17")
        #expect(text(NFTExpression.ipAddress(.source, in: IPv4Prefix("10.200.0.0/16")!), family: .ip) == "ip saddr 10.200.0.0/16")
    }

    @Test func theServiceTupleFillsFourWordsWithTheAddress() {
        let tuple = NFTExpression.serviceTuple(.ipv6)
        #expect(tuple == [
            .payload(NFTPayload(base: .network, offset: 24, length: 16, into: NFTRegister.word(0))),
            .metaLoad(.l4proto, into: NFTRegister.word(4)),
            .payload(NFTPayload(base: .transport, offset: 2, length: 2, into: NFTRegister.word(5))),
        ])
        #expect(NFTExpression.serviceTuple(.ipv4) == NFTExpression.serviceTuple)
        #expect(text(tuple + [NFTExpression.verdictMap(.named("service-ips"))]) == "ip6 daddr . meta l4proto . th dport vmap @service-ips")
    }

    @Test func destinationNATPutsThePortInBracketsAfterTheAddress() {
        let expressions = NFTExpression.destinationNAT(to: pod, port: 8080)
        guard case .nat(let nat)? = expressions.last else { Issue.record("no nat"); return }
        #expect(nat.family == .ip6)
        #expect(text(expressions) == "dnat to [fd00:200::2]:8080")
        #expect(text(NFTExpression.destinationNAT(to: IPv4Address("10.200.0.2")!, port: 8080), family: .ip) == "dnat to 10.200.0.2:8080")
    }

    @Test func rejectAloneIsICMPv6PortUnreachableInFamilyIP6() {
        #expect(NFTReject.portUnreachable(.ipv6) == NFTReject(kind: .icmpUnreachable, code: 4))
        #expect(text([.reject(.portUnreachable(.ipv6))]) == "reject")
        #expect(text([.reject(.portUnreachable(.ipv4))], family: .ip) == "reject")
        // Code 3 in IPv6 is another error; it is named, not taken for `reject`.
        #expect(text([.reject(NFTReject(kind: .icmpUnreachable, code: 3))]) == "reject with icmpv6 type addr-unreachable")
    }

    @Test func affinityRemembersTheSixteenByteSource() {
        #expect(text(NFTExpression.rememberSource(in: "affinity-x", family: .ipv6)) == "update @affinity-x { ip6 saddr }")
    }

    @Test func ipv6SetValuesRoundTripAndSortByAddress() throws {
        let a = NFTValue.ipv6(IPv6Address("fd00:96::1")!), b = NFTValue.ipv6(IPv6Address("fd00:96::1:0")!)
        #expect(NFTValue(type: .ipv6Address, bytes: a.bytes) == a)
        #expect(a < b && !(b < a))
        let type: [NFTDataType] = [.ipv6Address, .inetProto, .inetService]
        #expect(NFTSet.keyLength(of: type) == 24)
        let element = NFTSetElement(key: [b, .tcp, .inetService(80)])
        #expect(NFTSetElement.key(type: type, bytes: element.keyBytes) == element.key)
        #expect(NFTSetElement(key: [a, .tcp, .inetService(443)]) < element)
        #expect(NFTSyntax.elementText(element) == "fd00:96::1:0 . tcp . 80")
    }
}
