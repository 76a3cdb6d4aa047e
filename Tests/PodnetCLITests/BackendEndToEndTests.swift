import Foundation
import Testing

/// The cross-node backends against the real kernel (seed 003 §4): switching a live
/// cluster between them, and a backend this kernel lacks refused before anything
/// changes. Root only.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct BackendEndToEndTests {
    static let pings = [("a0", "10.200.1.2"), ("a0", "10.200.2.2"), ("b", "10.200.0.2"), ("c", "10.200.1.2")]

    static let networks = [
        "host-gw": "network: { backend: host-gw }",
        "vxlan-static": "network: { backend: vxlan, vxlan: { vni: 1, discovery: static } }",
        "vxlan-multicast": "network: { backend: vxlan, vxlan: { vni: 100, discovery: multicast, group: 239.1.1.1 } }",
        "ipip": "network: { backend: ipip }",
    ]

    /// ifindex of each pod's eth0: unchanged means the pod was not re-created.
    func podInterfaces(_ cluster: String) throws -> String {
        try shell("for p in a0 b c; do ip -n \(cluster).$p -o link show eth0 | cut -d: -f1; done").stdout
    }

    @Test func switchingTheBackendOfALiveClusterConvergesAndLeavesPodsAlone() throws {
        try withTestCluster(example: "vxlan-static") { cluster, file in
            #expect(try PodnetBinary.run(["apply", file.path]).status == 0)
            let pods = try podInterfaces(cluster)
            for backend in ["host-gw", "vxlan-multicast", "vxlan-static", "vxlan-multicast", "host-gw", "vxlan-static"] {
                try replaceNetwork(of: file, with: Self.networks[backend]!)
                let applied = try PodnetBinary.run(["apply", file.path])
                #expect(applied.status == 0, "→ \(backend): \(applied.stderr)")
                #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0, "→ \(backend)")
                for (pod, address) in Self.pings {
                    #expect(try shell("ip netns exec \(cluster).\(pod) ping -c 1 -W 2 \(address)").status == 0,
                            "→ \(backend): \(pod) → \(address)")
                }
                let devices = try shell("ip -n \(cluster).node-0 -o link show | awk -F': ' '{print $2}' | cut -d@ -f1").stdout
                #expect(devices.contains("vxlan0") == backend.hasPrefix("vxlan"), "→ \(backend): \(devices)")
            }
            #expect(try podInterfaces(cluster) == pods, "pods were re-created")
        }
    }

    /// On a kernel without IP-in-IP the apply fails before changing anything, saying
    /// what is missing and what would do; where the kernel has it, the example works.
    @Test func ipipAppliesOrIsRefusedBeforeAnyChange() throws {
        try withTestCluster(example: "ipip") { cluster, file in
            let applied = try PodnetBinary.run(["apply", file.path])
            if applied.status == 0 {
                #expect(try shell("ip netns exec \(cluster).a0 ping -c 1 -W 2 10.200.1.2").status == 0)
                #expect(try shell("ip netns exec \(cluster).a1 ping -c 1 -W 2 10.200.0.2").status == 0)
                return
            }
            #expect(applied.status == 1)
            #expect(applied.stderr.contains("this kernel has no 'ipip' link type (CONFIG_NET_IPIP, module ipip); nothing was changed"),
                    "\(applied.stderr)")
            #expect(applied.stderr.contains("backend: vxlan"))
            #expect(try shell("ip netns list | grep -c '^\(cluster)\\.' || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }
}
