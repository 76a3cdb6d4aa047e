import PodnetAddress
@testable import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

extension KernelTests {
    /// The table of a node with every kind of traffic from outside (NodePorts, external
    /// IPs, both traffic policies, ClientIP affinity) goes into the kernel in one
    /// transaction and reads back equal: `fib`, `update @set` and timed sets are
    /// written the way the kernel reports them.
    @Suite struct NFTablesExternalTrafficKernelTests {
        static func topology() throws -> Topology {
            var topology = try NFTablesExample.topology()
            topology.services[0].type = .nodePort
            topology.services[0].ports[0].nodePort = 30080
            topology.services[0].externalIPs = [.v4(IPv4Address(192, 168, 99, 10))]
            topology.services[0].externalTrafficPolicy = .local
            topology.services[0].sessionAffinity = .clientIP(timeoutSeconds: 600)
            var second = topology.services[0]
            second.name = "internal"
            second.clusterIP = IPv4Address(10, 96, 0, 4)
            second.ports = [ServicePort(port: 81, nodePort: 30081)]
            second.externalIPs = []
            second.externalTrafficPolicy = .cluster
            second.internalTrafficPolicy = .local
            second.sessionAffinity = .none
            topology.services.append(second)
            return topology
        }

        @Test(arguments: [0, 2])
        func everyKindOfExternalTrafficReadsBackEqual(node: Int) throws {
            try withScratchNamespaces(1) { names in
                let topology = try Self.topology()
                let driver = try NFTablesDriver(namespace: NetnsDirectory().open(names[0]))
                let desired = try #require(NFTablesProxyRenderer(topology: topology)
                    .table(forNode: topology.nodes[node], in: .named(names[0].rawValue)))
                try driver.apply(NFTablesDiff.changes(live: nil, desired: desired))
                let live = try #require(try driver.read(desired.id))
                #expect(live == desired, "\(NFTablesDriverTests.differences(live, desired))")
                #expect(NFTablesDiff.changes(live: live, desired: desired).isEmpty)

                // Turning affinity off and the policy to Cluster is a small change that converges.
                var changed = topology
                changed.services[0].sessionAffinity = .none
                changed.services[0].externalTrafficPolicy = .cluster
                let next = try #require(NFTablesProxyRenderer(topology: changed)
                    .table(forNode: changed.nodes[node], in: .named(names[0].rawValue)))
                let changes = NFTablesDiff.changes(live: live, desired: next)
                #expect(!changes.isEmpty && !changes.contains { if case .deleteTable = $0 { return true } else { return false } })
                try driver.apply(changes)
                let after = try #require(try driver.read(next.id))
                #expect(NFTablesDiff.changes(live: after, desired: next).isEmpty, "\(NFTablesDriverTests.differences(after, next))")
            }
        }
    }
}
