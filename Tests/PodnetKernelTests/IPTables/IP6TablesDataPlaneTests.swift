import Foundation
import Glibc
@testable import PodnetKernel
import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// Seed 003 §5 over IPv6, for real: three nodes (host-gw over an IPv6 underlay
/// bridge), pods a0 and a1 on node-0, b on node-1, c on node-2, the service
/// kube-svc-1 over a0 and b, and one without endpoints. The IPv6 side of the lab is
/// made with `ip` by the test (the kernel side of IPv6 pods is issue 17's item 2,
/// not this one), and each node's ip6tables rules are the renderer's, applied by
/// IPTablesDriver with ip6tables-restore and read back. Every namespace is the
/// test's (prefix `pni6-`); nothing leaves them.
extension KernelTests {
    @Suite struct IP6TablesDataPlaneTests {
        typealias Lab = NFTablesDataPlaneTests

        static let yaml = """
        name: lab
        clusterCIDR: [10.200.0.0/16, fd00:200::/48]
        serviceCIDR: [10.96.0.0/12, fd00:96::/112]
        proxy: { mode: iptables }
        network: { backend: host-gw }
        underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
        nodes:
          - { name: node-0, address: [192.168.64.4, fd00:64::4], podCIDR: [10.200.0.0/24, fd00:200::/64], bridge: br0 }
          - { name: node-1, address: [192.168.64.5, fd00:64::5], podCIDR: [10.200.1.0/24, "fd00:200:0:1::/64"], bridge: br0 }
          - { name: node-2, address: [192.168.64.6, fd00:64::6], podCIDR: [10.200.2.0/24, "fd00:200:0:2::/64"], bridge: br0 }
        pods:
          - { name: a0, node: node-0, ip: [10.200.0.2, fd00:200::2], labels: { app: web } }
          - { name: a1, node: node-0, ip: [10.200.0.3, fd00:200::3] }
          - { name: b,  node: node-1, ip: [10.200.1.2, "fd00:200:0:1::2"], labels: { app: web } }
          - { name: c,  node: node-2, ip: [10.200.2.2, "fd00:200:0:2::2"] }
        services:
          - { name: kube-svc-1, clusterIP: [10.96.0.2, "fd00:96::2"], selector: { app: web }, ports: [{ port: 8080 }] }
          - { name: empty, clusterIP: [10.96.0.3, "fd00:96::3"], endpoints: [], ports: [{ port: 80 }] }
        """

        /// Runs `sysctl -qw` settings in a namespace.
        static func sysctl(_ namespace: String, _ settings: String...) throws {
            try Lab.run(["ip", "netns", "exec", namespace, "sysctl", "-qw"] + settings)
        }

        /// A namespace that does not wait for duplicate address detection: its
        /// addresses are usable at once (a lab's are unique by construction), as
        /// `nodad` makes podnet's. Set before its links exist, so that they inherit it.
        static func noDAD(_ namespace: String) throws {
            try sysctl(namespace, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        }

        /// A node: the bridge with the IPv6 gateway, IPv6 forwarding, bridged IPv6
        /// through the ip6tables hooks (br_netfilter, as Kubernetes requires), its pods
        /// as bridge ports with hairpin on, eth0 on the underlay bridge, routes to the
        /// other nodes' pod prefixes via their underlay addresses (host-gw), and the
        /// service CIDR onto the bridge (as LabRenderer routes IPv4's).
        static func buildNode(_ node: PodnetTopology.Node, namespace: String, pods: [(pod: Pod, namespace: String)],
                              underlay: String, others: [PodnetTopology.Node], serviceCIDR: IPv6Prefix) throws {
            let gateway = try #require(node.gatewayV6), prefix = try #require(node.podCIDRv6)
            try Lab.ip(namespace, "link", "set", "lo", "up")
            try Lab.ip(namespace, "link", "add", "br0", "type", "bridge")
            try Lab.ip(namespace, "-6", "addr", "add", "\(gateway)/64", "dev", "br0", "nodad")
            try Lab.ip(namespace, "link", "set", "br0", "up")
            try sysctl(namespace, "net.ipv6.conf.all.forwarding=1", "net.bridge.bridge-nf-call-ip6tables=1")
            for (index, item) in pods.enumerated() {
                let port = "pnv\(index)"
                let address = try #require(item.pod.ipv6)
                try Lab.ip(namespace, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", item.namespace)
                try Lab.ip(namespace, "link", "set", port, "master", "br0", "up")
                try Lab.run("bridge", "-n", namespace, "link", "set", "dev", port, "hairpin", "on")
                try Lab.ip(item.namespace, "link", "set", "lo", "up")
                try Lab.ip(item.namespace, "-6", "addr", "add", "\(address)/\(prefix.length)", "dev", "eth0", "nodad")
                try Lab.ip(item.namespace, "link", "set", "eth0", "up")
                try Lab.ip(item.namespace, "-6", "route", "add", "default", "via", "\(gateway)")
            }
            let uplink = "u\(node.name)"
            try Lab.ip(underlay, "link", "add", uplink, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            try Lab.ip(underlay, "link", "set", uplink, "master", "underlay", "up")
            try Lab.ip(namespace, "-6", "addr", "add", "\(try #require(node.addressV6))/64", "dev", "eth0", "nodad")
            try Lab.ip(namespace, "link", "set", "eth0", "up")
            for other in others where other.name != node.name {
                try Lab.ip(namespace, "-6", "route", "add", "\(try #require(other.podCIDRv6))", "via", "\(try #require(other.addressV6))")
            }
            try Lab.ip(namespace, "-6", "route", "add", "\(serviceCIDR)", "dev", "br0")
        }

        /// How often each endpoint answered, by "NAME SEEN-ADDRESS".
        static func counts(_ namespace: String, _ address: String, _ count: Int) throws -> [String: Int] {
            try Lab.counts(namespace, address, 8080, count)
        }

        @Test(arguments: [IPTablesVariant.nft, .legacy])
        func theThreeCasesOfSeed003HoldOverIPv6(variant: IPTablesVariant) throws {
            let topology = try IPTablesExample.topology(Self.yaml)
            let renderer = IPTablesProxyRenderer(topology: topology)
            try Self.threeCasesOfSeed003(topology) { node, thread, _ in
                let desired = renderer.ruleset(forNode: node, family: .ipv6)
                try IPTablesDriver.apply(IPTablesDiff.changes(live: IPTablesRuleset(), desired: desired), in: thread,
                                         family: .ipv6, variant: variant)
                #expect(try IPTablesDriver.read(in: thread, cluster: "lab", family: .ipv6, variant: variant) == desired)
            }
        }

        /// The same three cases in proxy mode nftables: each node's `ip6 podnet-lab`
        /// table, as the renderer makes it, written by NFTablesDriver in one transaction
        /// and read back equal.
        @Test func theThreeCasesOfSeed003HoldOverIPv6InNFTablesMode() throws {
            let yaml = Self.yaml.replacingOccurrences(of: "proxy: { mode: iptables }", with: "proxy: { mode: nftables }")
            let topology = try IPTablesExample.topology(yaml)
            let renderer = NFTablesProxyRenderer(topology: topology)
            try Self.threeCasesOfSeed003(topology) { node, _, namespace in
                let desired = try #require(renderer.table(forNode: node, in: .named(namespace), family: .ipv6))
                #expect(desired.id.family == .ip6)
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(NetnsName(namespace)))
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired))
                #expect(try driver.read(desired.id) == desired)
            }
        }

        /// Builds the lab, installs each node's IPv6 proxy rules with `install` (the
        /// node, a thread in its namespace, the namespace's name), and checks seed
        /// 003 §5's three cases, refusals and the node's own traffic over IPv6.
        static func threeCasesOfSeed003(_ topology: Topology,
                                        install: (PodnetTopology.Node, NetnsThread, String) throws -> Void) throws {
            let memberNames = topology.nodes.map(\.name) + topology.pods.map(\.name) + ["underlay"]
            try withScratchNamespaces(memberNames.count, prefix: "pni6-") { names in
                let namespace = Dictionary(uniqueKeysWithValues: zip(memberNames, names.map(\.rawValue)))
                for name in names { try Self.noDAD(name.rawValue) }
                let underlay = namespace["underlay"]!
                try Lab.ip(underlay, "link", "add", "underlay", "type", "bridge")
                try Lab.ip(underlay, "link", "set", "underlay", "up")
                let serviceCIDR = try #require(topology.ipv6?.serviceCIDR)
                var threads: [NetnsThread] = []
                defer { for thread in threads { thread.close() } }
                for node in topology.nodes {
                    let pods = topology.pods(on: node.name).map { ($0, namespace[$0.name]!) }
                    try Self.buildNode(node, namespace: namespace[node.name]!, pods: pods, underlay: underlay,
                                       others: topology.nodes, serviceCIDR: serviceCIDR)
                    let thread = try NetnsThread(named: NetnsName(namespace[node.name]!))
                    threads.append(thread)
                    try install(node, thread, namespace[node.name]!)
                }

                let servers = try Lab.startServers([("a0", namespace["a0"]!), ("b", namespace["b"]!)], bind: "::")
                defer { Lab.stop(servers) }
                try Lab.python(namespace["c"]!, "wait", "fd00:200::2", "fd00:200:0:1::2")
                try Lab.python(namespace["a1"]!, "wait", "fd00:200::2", "fd00:200:0:1::2")

                // Case 1: c, on another node than either endpoint; case 2: a1, beside a0
                // on node-0; each seen with its own address (no masquerade).
                for (client, address) in [("c", "fd00:200:0:2::2"), ("a1", "fd00:200::3")] {
                    let counts = try Self.counts(namespace[client]!, "fd00:96::2", 200)
                    #expect(counts.values.reduce(0, +) == 200, "from \(client): \(counts)")
                    #expect(Set(counts.keys) == ["a0 \(address)", "b \(address)"], "from \(client): \(counts)")
                    for share in counts.values.map({ Double($0) / 200 }) {
                        #expect((0.35...0.65).contains(share), "from \(client): \(counts)")
                    }
                }
                // Case 3: a0 to its own service (hairpin): landing on itself it is
                // masqueraded to the bridge's IPv6 gateway, so that the answer returns
                // through the node; landing on b it keeps its address.
                let hairpin = try Self.counts(namespace["a0"]!, "fd00:96::2", 200)
                #expect(hairpin.values.reduce(0, +) == 200, "\(hairpin)")
                #expect(Set(hairpin.keys) == ["a0 fd00:200::1", "b fd00:200::2"], "\(hairpin)")
                for share in hairpin.values.map({ Double($0) / 200 }) {
                    #expect((0.35...0.65).contains(share), "hairpin: \(hairpin)")
                }

                // No endpoints, and a port the service lacks: refused at once (ICMPv6
                // port unreachable), from a pod and from the node itself.
                #expect(try Lab.python(namespace["c"]!, "refused", "fd00:96::3", "80") == "refused")
                #expect(try Lab.python(namespace["c"]!, "refused", "fd00:96::2", "9999") == "refused")
                #expect(try Lab.python(namespace["node-2"]!, "refused", "fd00:96::3", "80") == "refused")
                // The node itself reaches the service (nat OUTPUT) from the address its
                // route via br0 picks, the bridge's gateway, whichever endpoint answers.
                let fromNode = try Self.counts(namespace["node-0"]!, "fd00:96::2", 20)
                #expect(fromNode.values.reduce(0, +) == 20)
                #expect(fromNode.keys.allSatisfy { $0.hasSuffix(" fd00:200::1") }, "\(fromNode)")
            }
        }
    }
}
