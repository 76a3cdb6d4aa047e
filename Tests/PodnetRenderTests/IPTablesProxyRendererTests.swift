import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// kube-proxy's iptables layout on TOPOLOGY.md's services example (seed 003 §5).
@Suite struct IPTablesProxyRendererTests {
    static let example = ServicesExample.text("proxy: { mode: iptables }\nunderlay: { cidr: 192.168.64.0/24 }")

    /// What `iptables-save` prints in node-0 after podnet applied the example to an
    /// empty namespace (checked against the real tool by IPTablesDriverTests).
    static let expectedSave = """
    *filter
    :INPUT ACCEPT [0:0]
    :FORWARD ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    :KUBE-SERVICES - [0:0]
    -A FORWARD -m conntrack --ctstate NEW -m comment --comment "podnet:lab service portals" -j KUBE-SERVICES
    -A OUTPUT -m conntrack --ctstate NEW -m comment --comment "podnet:lab service portals" -j KUBE-SERVICES
    -A KUBE-SERVICES -d 10.96.0.0/12 -m comment --comment "no service at this address and port; NOTE: this must be the last rule in this chain" -j REJECT --reject-with icmp-port-unreachable
    COMMIT
    *nat
    :PREROUTING ACCEPT [0:0]
    :INPUT ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    :POSTROUTING ACCEPT [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-CT3VFUDXKAZZKDOU - [0:0]
    :KUBE-SEP-TOZUMTG7MWCABDOX - [0:0]
    :KUBE-SERVICES - [0:0]
    :KUBE-SVC-TZ3XVZXWOP5KRDAW - [0:0]
    :PODNET-EGRESS - [0:0]
    -A PREROUTING -m comment --comment "podnet:lab service portals" -j KUBE-SERVICES
    -A OUTPUT -m comment --comment "podnet:lab service portals" -j KUBE-SERVICES
    -A POSTROUTING -m comment --comment "podnet:lab pod egress" -j PODNET-EGRESS
    -A POSTROUTING -m comment --comment "podnet:lab service SNAT" -j KUBE-POSTROUTING
    -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
    -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
    -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
    -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
    -A KUBE-SEP-CT3VFUDXKAZZKDOU -s 10.200.0.2/32 -m comment --comment "lab/kube-svc-1:8080" -j KUBE-MARK-MASQ
    -A KUBE-SEP-CT3VFUDXKAZZKDOU -p tcp -m comment --comment "lab/kube-svc-1:8080" -m tcp -j DNAT --to-destination 10.200.0.2:8080
    -A KUBE-SEP-TOZUMTG7MWCABDOX -s 10.200.1.2/32 -m comment --comment "lab/kube-svc-1:8080" -j KUBE-MARK-MASQ
    -A KUBE-SEP-TOZUMTG7MWCABDOX -p tcp -m comment --comment "lab/kube-svc-1:8080" -m tcp -j DNAT --to-destination 10.200.1.2:8080
    -A KUBE-SERVICES -d 10.96.0.2/32 -p tcp -m comment --comment "lab/kube-svc-1:8080 cluster IP" -m tcp --dport 8080 -j KUBE-SVC-TZ3XVZXWOP5KRDAW
    -A KUBE-SVC-TZ3XVZXWOP5KRDAW ! -s 10.200.0.0/16 -d 10.96.0.2/32 -p tcp -m comment --comment "lab/kube-svc-1:8080 cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ
    -A KUBE-SVC-TZ3XVZXWOP5KRDAW -m comment --comment "lab/kube-svc-1:8080 -> 10.200.0.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-CT3VFUDXKAZZKDOU
    -A KUBE-SVC-TZ3XVZXWOP5KRDAW -m comment --comment "lab/kube-svc-1:8080 -> 10.200.1.2:8080" -j KUBE-SEP-TOZUMTG7MWCABDOX
    -A PODNET-EGRESS -s 10.200.0.0/16 ! -d 10.200.0.0/16 -m comment --comment "pod traffic leaving the cluster" -j MASQUERADE --random-fully
    COMMIT

    """

    static func topology(_ text: String = example) throws -> Topology {
        let loaded = TopologyLoader.load(text: text, file: "t.yaml")
        return try #require(loaded.topology, "\(loaded.diagnostics.map(\.message))")
    }

    static func ruleset(_ text: String = example, node: Int = 0) throws -> IPTablesRuleset {
        let topology = try topology(text)
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[node])
    }

    /// The ruleset as iptables-save lists a namespace holding only it: built-in
    /// chains first, then chains by name; podnet's built-in rules in the model's order.
    static func saveText(_ ruleset: IPTablesRuleset) -> String {
        var dump = IPTablesDump()
        for table in IPTablesTable.allCases where !ruleset[table].isEmpty {
            var saved = IPTablesDump.Table(name: table.rawValue)
            for chain in table.builtinChains {
                saved[chain] = IPTablesDump.Chain(name: chain, policy: "ACCEPT", rules: ruleset[table].builtinRules[chain] ?? [])
            }
            for (name, rules) in ruleset[table].chains.sorted(by: { $0.key < $1.key }) {
                saved[name] = IPTablesDump.Chain(name: name, policy: nil, rules: rules)
            }
            dump[table.rawValue] = saved
        }
        return dump.text
    }

    @Test func theServicesExampleIsKubeProxysLayout() throws {
        let rendered = Self.saveText(try Self.ruleset())
        #expect(rendered == Self.expectedSave, "\(rendered)")
    }

    @Test func everyNodeGetsTheSameRules() throws {
        #expect(try Self.ruleset(node: 0) == Self.ruleset(node: 2))
    }

    @Test func theCascadeIsOneInNOneInNMinusOneAndSoOn() throws {
        let text = Self.example.replacingOccurrences(of: "selector: { app: web }", with: "endpoints: [a0, a1, b, c]")
        let ruleset = try Self.ruleset(text)
        let service = try #require(ruleset.nat.chains.first { $0.key.hasPrefix("KUBE-SVC-") }?.value)
        #expect(service.count == 5, "the masquerade mark, then one rule per endpoint")
        let picks = service.dropFirst().map { rule in
            rule.split(separator: " ").drop { $0 != "--probability" }.dropFirst().first.map(String.init)
        }
        #expect(picks == ["0.25000000000", "0.33333333349", "0.50000000000", nil])
        // Endpoints by address, whatever order the file lists them in.
        #expect(service[1].contains("-> 10.200.0.2:8080") && service[4].contains("-> 10.200.2.2:8080"))
    }

    @Test func probabilitiesAreWhatIPTablesSavePrintsBack() {
        let expected = ["0.50000000000", "0.33333333349", "0.25000000000", "0.20000000019", "0.16666666651",
                        "0.14285714272", "0.12500000000", "0.11111111101", "0.10000000009", "0.09090909082", "0.08333333349"]
        #expect((2...12).map { IPTablesProxyNames.probability(oneIn: $0) } == expected)
        #expect(IPTablesProxyNames.probability(oneIn: 1) == "1.00000000000")
        #expect(IPTablesProxyNames.probability(oneIn: 1000) == "0.00100000016")
    }

    /// kube-proxy's own names, from its proxier's tests and any cluster's iptables-save.
    @Test func chainNamesAreKubeProxysHashes() {
        #expect(IPTablesProxyNames.serviceChain(portName: "default/kubernetes:https", protocol: .tcp) == "KUBE-SVC-NPX46M4PTMTKRN6Y")
        #expect(IPTablesProxyNames.serviceChain(portName: "kube-system/kube-dns:dns", protocol: .udp) == "KUBE-SVC-TCOU7JCQXEZGVUNU")
        #expect(IPTablesProxyNames.serviceChain(portName: "ns1/svc1:p80", protocol: .tcp) == "KUBE-SVC-XPGD46QRK7WJZT7O")
        #expect(IPTablesProxyNames.endpointChain(portName: "ns1/svc1:p80", protocol: .tcp, endpoint: "10.180.0.1:80") == "KUBE-SEP-SXIVWICOYRO3J4NJ")
    }

    @Test func sha256AndBase32AreTheStandardOnes() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined() }
        #expect(hex(SHA256.digest("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.digest("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.digest(Array(repeating: UInt8(ascii: "a"), count: 1_000))) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.encode(Array("f".utf8)) == "MY")
    }

    @Test func aPortWithoutEndpointsIsRejectedAndOnlyThere() throws {
        let text = Self.example + """

          - { name: none, clusterIP: 10.96.0.3, selector: { app: nothing }, ports: [{ port: 81, protocol: UDP }] }
        """
        let ruleset = try Self.ruleset(text)
        #expect(ruleset.filter.chains["KUBE-SERVICES"] == [
            "-d 10.96.0.3/32 -p udp -m comment --comment \"lab/none:81 has no endpoints\" -m udp --dport 81 -j REJECT --reject-with icmp-port-unreachable",
            "-d 10.96.0.0/12 -m comment --comment \"no service at this address and port; NOTE: this must be the last rule in this chain\" -j REJECT --reject-with icmp-port-unreachable",
        ])
        #expect(!ruleset.nat.chains["KUBE-SERVICES"]!.contains { $0.contains("10.96.0.3") })
        #expect(ruleset.nat.chains.keys.filter { $0.hasPrefix("KUBE-SVC-") }.count == 1)
    }

    @Test func withoutMasqueradeThereIsNoEgressChain() throws {
        let text = Self.example.replacingOccurrences(of: "proxy: { mode: iptables }", with: "proxy: { mode: iptables }\nnetwork: { masquerade: false }")
        let ruleset = try Self.ruleset(text)
        #expect(ruleset.nat.chains["PODNET-EGRESS"] == nil)
        #expect(ruleset.nat.builtinRules["POSTROUTING"] == ["-m comment --comment \"podnet:lab service SNAT\" -j KUBE-POSTROUTING"])
        #expect(ruleset.nat.chains["KUBE-MARK-MASQ"] != nil, "hairpin traffic is masqueraded whatever network.masquerade says")
    }

    @Test func otherModesHaveNoIPTablesRules() throws {
        for mode in ["nftables", "ipvs"] {
            let text = Self.example.replacingOccurrences(of: "proxy: { mode: iptables }", with: "proxy: { mode: \(mode) }")
            #expect(try Self.ruleset(text).isEmpty)
        }
    }

    @Test func theKernelStateFormCarriesTheSameRules() throws {
        let topology = try Self.topology()
        let (chains, rules) = IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0], in: .named("lab.node-0"))
        #expect(chains.allSatisfy { $0.id.namespace == .named("lab.node-0") })
        #expect(IPTablesRuleset(chains: chains, rules: rules) == (try Self.ruleset()))
        #expect(rules.allSatisfy { $0.spec.contains("podnet:lab ") })
    }

    @Test func quotingIsIPTablesSaves() {
        #expect(IPTablesRuleText.quoted("abc-1_2") == "abc-1_2")
        #expect(IPTablesRuleText.quoted("lab/web:80") == "\"lab/web:80\"")
        #expect(IPTablesRuleText.quoted("") == "\"\"")
        #expect(IPTablesRuleText.quoted("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(IPTablesRuleText.words("-m comment --comment \"a \\\"b\\\" c\" -j X") == ["-m", "comment", "--comment", "a \"b\" c", "-j", "X"])
        #expect(IPTablesRuleText.comment(of: "-m comment --comment \"podnet:lab x\" -j KUBE-SERVICES") == "podnet:lab x")
        #expect(IPTablesRuleText.target(of: "-p tcp -m tcp -j DNAT --to-destination 10.0.0.1:80") == "DNAT")
        #expect(IPTablesRuleText.target(of: "-s 10.0.0.0/8 -g KUBE-X") == "KUBE-X")
    }
}
