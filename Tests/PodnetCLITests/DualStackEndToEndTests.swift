import Foundation
import Testing

/// Dual stack against the real kernel: the example applied over each backend that
/// carries IPv6, every pod reaching every other in both families; a live IPv4
/// cluster turned dual-stack and back, each way touching only the IPv6 objects.
/// Root only.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct DualStackEndToEndTests {
    static let pods = ["a0": ("10.200.0.2", "fd00:200::2"), "b": ("10.200.1.2", "fd00:200:0:1::2"), "c": ("10.200.2.2", "fd00:200:0:2::2")]

    static let networks = [
        "host-gw": "network: { backend: host-gw }",
        "vxlan-static": "network: { backend: vxlan, vxlan: { vni: 1, discovery: static } }",
        "vxlan-multicast": "network: { backend: vxlan, vxlan: { vni: 100, discovery: multicast, group: 239.1.1.1 } }",
    ]

    /// Every pod pings every other pod's address of each family, and node-0 each
    /// remote pod (its own traffic, sourced from the bridge's address); one ping
    /// each, right after apply: no waiting for Duplicate Address Detection.
    func expectEveryPairAnswers(_ cluster: String, _ context: String) throws {
        for (from, _) in Self.pods {
            for (to, addresses) in Self.pods where to != from {
                for address in [addresses.0, addresses.1] {
                    #expect(try shell("ip netns exec \(cluster).\(from) ping -c 1 -W 2 \(address)").status == 0,
                            "\(context): \(from) → \(to) at \(address)")
                }
            }
        }
        for address in [Self.pods["b"]!.1, Self.pods["c"]!.1] {
            #expect(try shell("ip netns exec \(cluster).node-0 ping -c 1 -W 2 \(address)").status == 0, "\(context): node-0 → \(address)")
        }
    }

    @Test(arguments: ["host-gw", "vxlan-static", "vxlan-multicast"])
    func everyPodReachesEveryPodInBothFamilies(backend: String) throws {
        try withTestCluster(example: "dual-stack") { cluster, file in
            try replaceNetwork(of: file, with: Self.networks[backend]!)
            let applied = try PodnetBinary.run(["apply", file.path])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
            try expectEveryPairAnswers(cluster, backend)
            // The IPv6 side is plain `ip -6` to inspect.
            let routes = try shell("ip -n \(cluster).node-0 -6 route show proto boot").stdout
            #expect(routes.contains("fd00:200:0:1::/64") || backend == "vxlan-multicast", "\(routes)")
        }
    }

    /// The example without its IPv6 values.
    static func ipv4Only(_ text: String) -> String {
        text.replacingOccurrences(of: "clusterCIDR: [10.200.0.0/16, fd00:200::/48]", with: "clusterCIDR: 10.200.0.0/16")
            .replacingOccurrences(of: "serviceCIDR: [10.96.0.0/12, fd00:96::/112]", with: "serviceCIDR: 10.96.0.0/12")
            .replacingOccurrences(of: "cidr: [192.168.64.0/24, fd00:64::/64]", with: "cidr: 192.168.64.0/24")
    }

    func plannedCommands(_ file: URL) throws -> [String] {
        let diff = try PodnetBinary.run(["diff", "--output", "commands", file.path])
        return diff.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }

    /// IPv4 → dual stack adds only IPv6 objects, without re-creating a pod; back to
    /// IPv4 deletes only them. Both ways the cluster keeps answering over IPv4.
    @Test func addingAndRemovingTheIPv6FamilyTouchesOnlyIPv6Objects() throws {
        try withTestCluster(example: "dual-stack") { cluster, file in
            let dualStack = try String(contentsOf: file, encoding: .utf8)
            try Self.ipv4Only(dualStack).write(to: file, atomically: true, encoding: .utf8)
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            let interfaces = try shell("for p in a0 b c; do ip -n \(cluster).$p -o link show eth0 | cut -d: -f1; done").stdout
            #expect(try shell("ip -n \(cluster).a0 -6 addr show scope global").stdout.isEmpty)
            // An IPv4 cluster's nodes were made with the kernel's DAD on (podnet turns
            // it off for dual-stack nodes only); a cluster turned dual-stack within two
            // seconds of being made would wait for it (NodeSysctls). Let it finish, as
            // it has on any cluster that has been up for longer than that.
            try shell("""
                for i in $(seq 50); do
                  t=$(for n in node-0 node-1 node-2; do ip -n \(cluster).$n -6 addr show tentative; done)
                  [ -z "$t" ] && break; sleep 0.1
                done
                """)

            try dualStack.write(to: file, atomically: true, encoding: .utf8)
            let adding = try plannedCommands(file)
            #expect(!adding.isEmpty)
            let additionsOnly = adding.allSatisfy { command in
                command.contains(" -6 ") || command.contains("ip6tables") || command.contains("net.ipv6.")
                    || command.contains(" ip6 podnet-\(cluster)")
            }
            #expect(additionsOnly, "\(adding)")
            #expect(!adding.contains { $0.contains(" del ") || $0.contains("link add") || $0.contains("netns add") }, "\(adding)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            try expectEveryPairAnswers(cluster, "IPv4 → dual stack")
            #expect(try shell("for p in a0 b c; do ip -n \(cluster).$p -o link show eth0 | cut -d: -f1; done").stdout == interfaces,
                    "pods were re-created")

            try Self.ipv4Only(dualStack).write(to: file, atomically: true, encoding: .utf8)
            let removing = try plannedCommands(file)
            #expect(!removing.isEmpty)
            #expect(removing.allSatisfy { $0.contains(" -6 ") || $0.contains("ip6tables") || $0.contains("delete table ip6 podnet-\(cluster)") },
                    "\(removing)")
            #expect(!removing.contains { $0.contains(" add ") && !$0.contains("ip6tables") }, "\(removing)")
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            #expect(try shell("ip -n \(cluster).a0 -6 addr show scope global").stdout.isEmpty)
            #expect(try shell("ip netns exec \(cluster).a0 ping -c 1 -W 2 10.200.1.2").status == 0)
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
        }
    }
}
