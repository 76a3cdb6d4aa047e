import Foundation
import Glibc
@testable import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// Real traffic through the rendered iptables rules, on the same test node as the
/// nftables data-plane test (a bridge holding the gateway, hairpin on its ports,
/// bridged IPv4 through the IP hooks; two endpoint pods answering with their name,
/// a client pod, a host beyond the node's eth0), all made with `ip` in namespaces
/// the test creates. Nothing leaves those namespaces.
extension KernelTests {
    @Suite struct IPTablesDataPlaneTests {
        typealias Node = NFTablesDataPlaneTests

        @Test(arguments: [IPTablesVariant.nft, .legacy])
        func clusterIPTrafficIsBalancedHairpinsAndIsRefusedWithoutEndpoints(variant: IPTablesVariant) throws {
            try withScratchNamespaces(5) { names in
                let (node, pods) = (names[0].rawValue, [("e1", names[1].rawValue, "10.200.0.2"),
                                                        ("e2", names[2].rawValue, "10.200.0.3"),
                                                        ("client", names[3].rawValue, "10.200.0.4")])
                let outside = names[4].rawValue
                try Node.buildNode(node, pods: pods.map { ($0.1, $0.2) })
                try Node.ip(node, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", outside)
                try Node.ip(node, "addr", "add", "192.168.64.4/24", "dev", "eth0")
                try Node.ip(node, "link", "set", "eth0", "up")
                try Node.ip(outside, "addr", "add", "192.168.64.1/24", "dev", "eth0")
                try Node.ip(outside, "link", "set", "eth0", "up")

                let text = Node.topology.replacingOccurrences(of: "network: { backend: host-gw }",
                                                              with: "network: { backend: host-gw }\nproxy: { mode: iptables }")
                let topology = try IPTablesExample.topology(text)
                let desired = IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0])
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                try IPTablesDriver.apply(IPTablesDiff.changes(live: IPTablesRuleset(), desired: desired), in: thread, variant: variant)
                #expect(try IPTablesDriver.read(in: thread, cluster: "lab", variant: variant) == desired)

                let servers = try Node.startServers([(pods[0].0, pods[0].1), (pods[1].0, pods[1].1), ("outside", outside)])
                defer { Node.stop(servers) }
                let client = pods[2].1
                try Node.python(client, "wait", "10.200.0.2", "10.200.0.3")
                try Node.python(node, "wait", "192.168.64.1")

                // From a client pod: both endpoints answer (the cascade's 1/2, then the
                // rest), and see the client's own address: service traffic is not masqueraded.
                // As a lab node does (LabRenderer), the node routes the service CIDR onto
                // the pod bridge: iptables can reject only in filter INPUT, FORWARD and
                // OUTPUT, after the routing decision, and a node without a route for a
                // ClusterIP nobody DNATs would answer "network unreachable" instead.
                try Node.ip(node, "route", "add", "10.96.0.0/12", "dev", "br0")
                // And sends no ICMP redirects from the bridge (NodeSysctls): forwarding a
                // client's SYN back out br0 would send one, and it would use up the
                // client's ICMP allowance, so that the reject that follows is not sent
                // (found here: the port without endpoints timed out instead of refusing).
                try Node.run("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0")
                try Node.run("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.conf.br0.send_redirects=0")

                let counts = try Node.counts(client, "10.96.0.2", 8080, 100)
                #expect(counts.values.reduce(0, +) == 100)
                #expect(Set(counts.keys) == ["e1 10.200.0.4", "e2 10.200.0.4"], "\(counts)")
                #expect(counts.values.allSatisfy { $0 >= 15 }, "\(counts)")

                // From an endpoint to its own service (hairpin): every connection works;
                // landing on itself it is masqueraded (KUBE-SEP's mark, KUBE-POSTROUTING)
                // to the gateway's address, so that the answer comes back through the node.
                let hairpin = try Node.counts(pods[0].1, "10.96.0.2", 8080, 30)
                #expect(hairpin.values.reduce(0, +) == 30)
                #expect(Set(hairpin.keys) == ["e1 10.200.0.1", "e2 10.200.0.2"], "\(hairpin)")

                // Pod traffic leaving the cluster CIDR leaves with the node's address (PODNET-EGRESS).
                #expect(try Node.counts(client, "192.168.64.1", 8080, 3) == ["outside 192.168.64.4": 3])

                // A service port without endpoints (kube-proxy's reject), and a port the
                // service does not have (podnet's service-CIDR reject): refused at once.
                let noEndpoints = try Node.python(client, "refused", "10.96.0.3", "80")
                #expect(noEndpoints == "refused", "\(noEndpoints)")
                #expect(try Node.python(client, "refused", "10.96.0.2", "9999") == "refused")
                // The node itself (nat OUTPUT, filter OUTPUT).
                #expect(try Node.python(node, "refused", "10.96.0.3", "80") == "refused")
                let fromNode = try Node.counts(node, "10.96.0.2", 8080, 10)
                #expect(fromNode.values.reduce(0, +) == 10)
                #expect(fromNode.keys.allSatisfy { $0.hasSuffix(" 10.200.0.1") }, "\(fromNode)")
            }
        }
    }
}
