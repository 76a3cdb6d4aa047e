import PodnetAddress
import PodnetKernelModel
@testable import PodnetRender
import PodnetTopology
import Testing

/// The iptables layout in IPv6 (ip6tables), rendered by the IPv4 renderer with the
/// family's values: TOPOLOGY.md's services example made dual stack.
@Suite struct IP6TablesProxyRendererTests {
    static let dualStack = IPTablesProxyRendererTests.example
        .replacingOccurrences(of: "clusterCIDR: 10.200.0.0/16", with: "clusterCIDR: [10.200.0.0/16, fd00:200::/48]")
        .replacingOccurrences(of: "serviceCIDR: 10.96.0.0/12", with: "serviceCIDR: [10.96.0.0/12, fd00:96::/112]")

    /// What `ip6tables-save` prints in node-0 after podnet applied the dual-stack
    /// example to an empty namespace: IPTablesProxyRendererTests.expectedSave with
    /// the IPv6 addresses (/128 for one, `[ADDRESS]:PORT` in DNATs and comments,
    /// ICMPv6's reject); the service chain's name is the IPv4 one (it hashes the
    /// port alone), the endpoints' are not (they hash the endpoint). The IPv6 forms
    /// are checked against the real tool by IP6TablesDriverTests; the endpoint chains'
    /// names against kube-proxy's hash (base32 of SHA-256 of
    /// `lab/kube-svc-1:8080tcp[fd00:200::2]:8080`) by Python's hashlib.
    static let expectedSave = """
    *filter
    :INPUT ACCEPT [0:0]
    :FORWARD ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    :KUBE-SERVICES - [0:0]
    -A FORWARD -m conntrack --ctstate NEW -m comment --comment "podnet:lab service portals" -j KUBE-SERVICES
    -A OUTPUT -m conntrack --ctstate NEW -m comment --comment "podnet:lab service portals" -j KUBE-SERVICES
    -A KUBE-SERVICES -d fd00:96::/112 -m comment --comment "no service at this address and port; NOTE: this must be the last rule in this chain" -j REJECT --reject-with icmp6-port-unreachable
    COMMIT
    *nat
    :PREROUTING ACCEPT [0:0]
    :INPUT ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    :POSTROUTING ACCEPT [0:0]
    :KUBE-MARK-MASQ - [0:0]
    :KUBE-POSTROUTING - [0:0]
    :KUBE-SEP-O2R43QCHDLS2PRXH - [0:0]
    :KUBE-SEP-QG2KJO3FAHZKKOBT - [0:0]
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
    -A KUBE-SEP-O2R43QCHDLS2PRXH -s fd00:200::2/128 -m comment --comment "lab/kube-svc-1:8080" -j KUBE-MARK-MASQ
    -A KUBE-SEP-O2R43QCHDLS2PRXH -p tcp -m comment --comment "lab/kube-svc-1:8080" -m tcp -j DNAT --to-destination [fd00:200::2]:8080
    -A KUBE-SEP-QG2KJO3FAHZKKOBT -s fd00:200:0:1::2/128 -m comment --comment "lab/kube-svc-1:8080" -j KUBE-MARK-MASQ
    -A KUBE-SEP-QG2KJO3FAHZKKOBT -p tcp -m comment --comment "lab/kube-svc-1:8080" -m tcp -j DNAT --to-destination [fd00:200:0:1::2]:8080
    -A KUBE-SERVICES -d fd00:96::1/128 -p tcp -m comment --comment "lab/kube-svc-1:8080 cluster IP" -m tcp --dport 8080 -j KUBE-SVC-TZ3XVZXWOP5KRDAW
    -A KUBE-SVC-TZ3XVZXWOP5KRDAW ! -s fd00:200::/48 -d fd00:96::1/128 -p tcp -m comment --comment "lab/kube-svc-1:8080 cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ
    -A KUBE-SVC-TZ3XVZXWOP5KRDAW -m comment --comment "lab/kube-svc-1:8080 -> [fd00:200::2]:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-O2R43QCHDLS2PRXH
    -A KUBE-SVC-TZ3XVZXWOP5KRDAW -m comment --comment "lab/kube-svc-1:8080 -> [fd00:200:0:1::2]:8080" -j KUBE-SEP-QG2KJO3FAHZKKOBT
    -A PODNET-EGRESS -s fd00:200::/48 ! -d fd00:200::/48 -m comment --comment "pod traffic leaving the cluster" -j MASQUERADE --random-fully
    COMMIT

    """

    static func ruleset(_ text: String = dualStack, family: AddressFamily, node: Int = 0) throws -> IPTablesRuleset {
        let topology = try IPTablesProxyRendererTests.topology(text)
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[node], family: family)
    }

    @Test func theIPv6RulesetIsKubeProxysLayoutInIPv6() throws {
        #expect(IPTablesProxyRendererTests.saveText(try Self.ruleset(family: .ipv6)) == Self.expectedSave)
    }

    /// Adding the IPv6 family changes no IPv4 rule: the IPv4 ruleset of the dual-stack
    /// file is the IPv4-only file's, byte for byte (a plan from IPv4 to dual stack only
    /// adds ip6tables' objects).
    @Test func addingIPv6LeavesTheIPv4RulesetAsItWas() throws {
        for node in 0..<3 {
            #expect(try Self.ruleset(family: .ipv4, node: node) == IPTablesProxyRendererTests.ruleset(node: node))
        }
        #expect(IPTablesProxyRendererTests.saveText(try Self.ruleset(family: .ipv4)) == IPTablesProxyRendererTests.expectedSave)
    }

    /// An IPv4-only cluster has no ip6tables ruleset, and its kernel objects are all IPv4's.
    @Test func anIPv4ClusterHasNoIPv6Rules() throws {
        #expect(try Self.ruleset(IPTablesProxyRendererTests.example, family: .ipv6).isEmpty)
        let topology = try IPTablesProxyRendererTests.topology()
        let objects = IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0], in: .named("lab.node-0"))
        #expect(!objects.chains.isEmpty && objects.chains.allSatisfy { $0.id.family == .ipv4 })
        #expect(objects.rules.allSatisfy { $0.family == .ipv4 })
    }

    /// In KernelState both families' chains stand side by side under their own IDs:
    /// `nat KUBE-SERVICES` twice, once per family, each with its own rules.
    @Test func bothFamiliesAreKernelObjectsOfTheirOwn() throws {
        let topology = try IPTablesProxyRendererTests.topology(Self.dualStack)
        let namespace = NamespaceRef.named("lab.node-0")
        let objects = IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0], in: namespace)
        var state = KernelState()
        for chain in objects.chains { state.insert(chain) }
        for rule in objects.rules { state.insert(rule) }
        #expect(state.iptablesScopes == [IPTablesScope(namespace: namespace), IPTablesScope(namespace: namespace, family: .ipv6)])
        #expect(state.iptablesRuleset(in: IPTablesScope(namespace: namespace, family: .ipv6)) == (try Self.ruleset(family: .ipv6)))
        #expect(state.iptablesRuleset(in: IPTablesScope(namespace: namespace)) == (try Self.ruleset(family: .ipv4)))
        let v6 = IPTablesChain.ID(namespace: namespace, family: .ipv6, table: "nat", name: "KUBE-SERVICES")
        #expect(state.iptablesChains[v6]?.rules.first?.hasPrefix("-d fd00:96::1/128 ") == true)
        #expect(v6.description == "ip6 nat KUBE-SERVICES in lab.node-0")
        #expect(IPTablesChain.ID(namespace: namespace, table: "nat", name: "KUBE-SERVICES").description == "nat KUBE-SERVICES in lab.node-0")
    }

    /// Only services with an IPv6 ClusterIP are in ip6tables (kube-proxy's IPv6 proxier
    /// sees no other); NodePorts are per family too, and IPv6's NodePort jump leaves
    /// out `::1` as IPv4's leaves out 127.0.0.0/8. Affinity remembers whole IPv6 sources.
    @Test func ipFamiliesNodePortsAndAffinityPerFamily() throws {
        let text = Self.dualStack + """

          - { name: v4only, ipFamilies: [IPv4], selector: { app: web }, ports: [{ port: 81 }] }
          - { name: np, type: NodePort, sessionAffinity: ClientIP, selector: { app: web }, ports: [{ port: 8443, nodePort: 30443 }] }
        """
        let v6 = try Self.ruleset(text, family: .ipv6)
        let v4 = try Self.ruleset(text, family: .ipv4)
        let services = try #require(v6.nat.chains["KUBE-SERVICES"])
        #expect(!services.contains { $0.contains("lab/v4only") })
        #expect(try #require(v4.nat.chains["KUBE-SERVICES"]).contains { $0.contains("lab/v4only:81 cluster IP") })
        #expect(services.last == IPTablesProxyRenderer.nodePortsJump(.ipv6))
        #expect(services.last?.hasPrefix("! -d ::1/128 -m comment") == true)
        #expect(v6.nat.chains["KUBE-NODEPORTS"] == v4.nat.chains["KUBE-NODEPORTS"], "the same NodePort, the same rule text")
        let endpoint = try #require(v6.nat.chains.first { $0.key.hasPrefix("KUBE-SEP-") && $0.value[1].contains("8443") })
        #expect(endpoint.value[1].contains("-m recent --set --name \(endpoint.key) --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource"))
    }

    /// Sticky allocation reads each family's ClusterIPs from its own KUBE-SERVICES:
    /// the IPv6 one from ip6tables' `-d ADDRESS/128`, the IPv4 one as before.
    @Test func liveClusterIPsAreReadPerFamily() throws {
        let topology = try IPTablesProxyRendererTests.topology(Self.dualStack)
        let objects = IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0], in: .named("lab.node-0"))
        var state = KernelState()
        for chain in objects.chains { state.insert(chain) }
        let assignments = LiveAssignmentsReader.assignments(in: state, cluster: "lab")
        #expect(assignments.clusterIPs == ["kube-svc-1": IPv4Address("10.96.0.2")!])
        #expect(assignments.clusterIPsV6 == ["kube-svc-1": IPv6Address("fd00:96::1")!])
    }
}
