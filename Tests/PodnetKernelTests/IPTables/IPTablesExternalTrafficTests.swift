import Foundation
import Glibc
@testable import PodnetKernel
import PodnetAddress
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// Issue 14's "done when" for iptables mode, for real: a three-node lab (host-gw)
/// with a NodePort service whose endpoints a0 (node-0) and b (node-1) answer with
/// their name and the address they saw, and a client on the underlay, outside the
/// cluster, made by the test (a namespace beside the cluster's, `CLUSTER-client`).
/// The lab is applied as `podnet apply` does (render, read, plan, execute) and
/// changed in place between the cases; every namespace goes at the end, whatever
/// happens.
extension KernelTests {
    @Suite struct IPTablesExternalTrafficTests {
        typealias Lab = NFTablesDataPlaneTests
        static let clientAddress = "192.168.64.100"
        static let externalIP = "203.0.113.10"

        static func topology(cluster: String, _ change: (inout Service) -> Void) -> Topology {
            let nodes = (0..<3).map { index in
                PodnetTopology.Node(name: "node-\(index)", address: IPv4Address("192.168.64.\(4 + index)")!,
                          podCIDR: IPv4Prefix("10.200.\(index).0/24")!, bridge: "br\(index)")
            }
            let pods = [
                Pod(name: "a0", node: "node-0", ip: IPv4Address("10.200.0.2")!, labels: ["app": "web"]),
                Pod(name: "a1", node: "node-0", ip: IPv4Address("10.200.0.3")!),
                Pod(name: "b", node: "node-1", ip: IPv4Address("10.200.1.2")!, labels: ["app": "web"]),
                Pod(name: "c", node: "node-2", ip: IPv4Address("10.200.2.2")!),
            ]
            var web = Service(name: "web", clusterIP: IPv4Address("10.96.0.2")!, selector: ["app": "web"], endpoints: ["a0", "b"],
                              ports: [ServicePort(port: 8080, nodePort: 30080)], type: .nodePort,
                              externalIPs: [IPAddress(externalIP)!])
            change(&web)
            return Topology(name: cluster, clusterCIDR: IPv4Prefix("10.200.0.0/16")!, serviceCIDR: IPv4Prefix("10.96.0.0/12")!,
                            network: Network(backend: .hostGW), proxy: Proxy(mode: .iptables), underlay: Underlay(),
                            nodes: nodes, pods: pods, links: [], services: [web])
        }

        /// What `podnet apply` does, without the file: the plan from the live state to
        /// the rendered one, executed; then the kernel must match. Returns the plan.
        @discardableResult
        static func apply(_ topology: Topology) throws -> Plan {
            let desired = LabRenderer(topology: topology).render()
            func plan() throws -> Plan {
                var keys: [String: [String]] = [:]
                for id in desired.sysctls.keys {
                    if case .named(let name) = id.namespace { keys[name, default: []].append(id.key) }
                }
                let live = try LiveStateReader(sysctls: .byNamespace(keys), serviceCIDR: topology.serviceCIDR).read(cluster: topology.name)
                return try Planner(cluster: topology.name).plan(desired: desired, live: live)
            }
            let planned = try plan()
            try PlanExecutor().execute(planned)
            let remaining = try plan()
            #expect(remaining.isEmpty, "\(remaining.operations.map(\.operation.subject))")
            _ = try CarrierWait.untilVethsAreUp(cluster: topology.name, host: nil)
            return planned
        }

        /// How often each endpoint answered `client`'s connections to `address`, by "NAME SEEN-ADDRESS".
        static func counts(from client: String, to address: String, port: Int = 30080, _ count: Int) throws -> [String: Int] {
            try Lab.counts(client, address, port, count)
        }

        @Test func nodePortsAndExternalIPsFollowTheTrafficPoliciesAndAffinity() throws {
            let cluster = "pnt2" + String(Int.random(in: 100_000...999_999))
            let client = "\(cluster)-client"
            defer {
                // Everything of the cluster, and the client, whatever happened.
                _ = try? PlanExecutor().execute(Planner(cluster: cluster).plan(desired: KernelState(),
                                                                               live: LiveStateReader().read(cluster: cluster)))
                _ = try? host(["sh", "-c", "for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)[.-]'); do ip netns del $n; done"])
            }
            var topology = Self.topology(cluster: cluster) { _ in }
            try Self.apply(topology)

            // The client: eth0 on the underlay bridge, a route for the external IP via
            // node-0 (which has an endpoint of it, as an L2 announcer would elect).
            try Lab.run("ip", "netns", "add", client)
            try Lab.ip("\(cluster).underlay", "link", "add", "\(cluster)c", "type", "veth", "peer", "name", "eth0", "netns", client)
            try Lab.ip("\(cluster).underlay", "link", "set", "\(cluster)c", "master", "underlay", "up")
            try Lab.ip(client, "addr", "add", "\(Self.clientAddress)/24", "dev", "eth0")
            try Lab.ip(client, "link", "set", "eth0", "up")
            try Lab.ip(client, "link", "set", "lo", "up")
            try Lab.ip(client, "route", "add", Self.externalIP, "via", "192.168.64.4")

            let servers = try Lab.startServers([("a0", "\(cluster).a0"), ("b", "\(cluster).b")])
            defer { Lab.stop(servers) }
            try Lab.python("\(cluster).node-0", "wait", "10.200.0.2")
            try Lab.python("\(cluster).node-1", "wait", "10.200.1.2")
            let nodeAddresses = (0..<3).map { ["192.168.64.\(4 + $0)", "10.200.\($0).1"] }

            // Cluster: from each node's NodePort every connection lands, on each endpoint
            // 35–65%, also at node-2, which hosts none; the endpoints see the receiving
            // node's address (its uplink's, or its bridge's for its own pod), never the client's.
            for node in 0..<3 {
                let counts = try Self.counts(from: client, to: "192.168.64.\(4 + node)", 200)
                #expect(counts.values.reduce(0, +) == 200, "node-\(node): \(counts)")
                for endpoint in ["a0", "b"] {
                    let share = Double(counts.filter { $0.key.hasPrefix(endpoint + " ") }.values.reduce(0, +)) / 200
                    #expect((0.35...0.65).contains(share), "node-\(node): \(endpoint) got \(share): \(counts)")
                }
                for key in counts.keys {
                    #expect(nodeAddresses[node].contains(String(key.split(separator: " ")[1])), "node-\(node): \(key)")
                }
            }
            let external = try Self.counts(from: client, to: Self.externalIP, port: 8080, 200)
            #expect(external.values.reduce(0, +) == 200, "\(external)")
            #expect(Set(external.keys.map { $0.split(separator: " ")[0] }) == ["a0", "b"], "\(external)")
            #expect(!external.keys.contains { $0.hasSuffix(Self.clientAddress) }, "\(external)")

            // Local, both ways: a plan of iptables changes only.
            topology = Self.topology(cluster: cluster) { service in
                service.externalTrafficPolicy = .local
                service.internalTrafficPolicy = .local
            }
            let toLocal = try Self.apply(topology)
            #expect(toLocal.operations.allSatisfy { if case .iptables = $0.operation { return true } else { return false } })
            #expect(!toLocal.isEmpty)
            // Each node with an endpoint sends every connection to it, with the client's address.
            #expect(try Self.counts(from: client, to: "192.168.64.4", 200) == ["a0 \(Self.clientAddress)": 200])
            #expect(try Self.counts(from: client, to: "192.168.64.5", 200) == ["b \(Self.clientAddress)": 200])
            #expect(try Self.counts(from: client, to: Self.externalIP, port: 8080, 200) == ["a0 \(Self.clientAddress)": 200])
            // node-2 answers none: dropped, so the client times out (a reset would be "refused").
            #expect(try Lab.python(client, "refused", "192.168.64.6", "30080") == "timed out")
            // internalTrafficPolicy Local: a pod on node-0 reaches only a0; on node-2, nothing.
            #expect(try Lab.counts("\(cluster).a1", "10.96.0.2", 8080, 30) == ["a0 10.200.0.3": 30])
            #expect(try Lab.python("\(cluster).c", "refused", "10.96.0.2", "8080") == "timed out")
            // A pod still reaches a Local NodePort of a node without endpoint (the short cut).
            #expect(try Lab.counts("\(cluster).c", "192.168.64.6", 30080, 20).values.reduce(0, +) == 20)

            // ClientIP affinity: 50 connections from the client, one endpoint.
            topology = Self.topology(cluster: cluster) { $0.sessionAffinity = .clientIP(timeoutSeconds: 600) }
            try Self.apply(topology)
            let sticky = try Self.counts(from: client, to: "192.168.64.6", 50)
            #expect(sticky.count == 1 && sticky.values.first == 50, "\(sticky)")

            // Back to a ClusterIP service: the external chains go, the ClusterIP stays.
            topology = Self.topology(cluster: cluster) { service in
                service.type = .clusterIP
                service.ports[0].nodePort = nil
                service.externalIPs = []
            }
            let back = try Self.apply(topology)
            #expect(back.operations.allSatisfy { if case .iptables = $0.operation { return true } else { return false } })
            let save = try host(["ip", "netns", "exec", "\(cluster).node-2", "iptables-save"]).standardOutputText
            #expect(!save.contains("KUBE-NODEPORTS") && !save.contains("KUBE-EXT") && !save.contains("KUBE-EXTERNAL-SERVICES"), "\(save)")
            #expect(try Lab.counts("\(cluster).c", "10.96.0.2", 8080, 20).values.reduce(0, +) == 20)

            // Destroy leaves nothing of the cluster.
            try PlanExecutor().execute(Planner(cluster: cluster).plan(desired: KernelState(), live: LiveStateReader().read(cluster: cluster)))
            let left = try host(["sh", "-c", "ip netns list | grep -c '^\(cluster)\\.' || true"]).standardOutputText
            #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }
}
