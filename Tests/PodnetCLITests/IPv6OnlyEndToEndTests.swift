import Foundation
import Testing

/// The IPv6-only example (topologies/ipv6-only.yaml: three nodes, pods a0 and a1 on
/// node-0, b, c) applied over each backend the kernel here has and in each proxy mode
/// but IPVS (the full-kernel lane runs ipip's sit and IPVS): `podnet check` passes on
/// every pod pair over IPv6, no pod or bridge holds an IPv4 address, and seed 003
/// §5's three cases hold over IPv6. Root only; the clusters are named pnv6NNNNNN.
@Suite(.enabled(if: getuid() == 0, "needs root: creates network namespaces"), .serialized)
struct IPv6OnlyEndToEndTests {
    static let networks = [
        "host-gw": "network: { backend: host-gw }",
        "vxlan-static": "network: { backend: vxlan, vxlan: { vni: 1, discovery: static } }",
        "vxlan-multicast": "network: { backend: vxlan, vxlan: { vni: 100, discovery: multicast, group: 239.1.1.1 } }",
    ]

    /// The example under a fresh name with `network` and `proxy` blocks of its own
    /// (and `underlay` as its underlay.cidr, where given), applied; always destroyed.
    func withCluster(network: String, proxy: String = "proxy: { mode: nftables }", underlay: String? = nil,
                     _ body: (String, URL) throws -> Void) throws {
        var text = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/ipv6-only.yaml"), encoding: .utf8)
        var lines: [String] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("network:") { lines.append(network); skipping = true; continue }
            if line.hasPrefix("proxy:") { lines.append(proxy); skipping = true; continue }
            if skipping, line.hasPrefix(" ") { continue }
            skipping = false
            lines.append(line)
        }
        text = lines.joined(separator: "\n")
        if let underlay { text = text.replacingOccurrences(of: "cidr: [192.168.64.0/24, fd00:64::/64]", with: "cidr: \(underlay)") }
        try withTestCluster(prefix: "pnv6", text: { _ in text }) { cluster, file in
            let applied = try PodnetBinary.run(["apply", file.path])
            try #require(applied.status == 0, "\(applied.stderr)")
            try body(cluster, file)
        }
    }

    /// Each backend on the dual-stack underlay; VXLAN also on an IPv4-only one (its
    /// outer packets IPv4 either way); host-gw and static VXLAN on an IPv6-only one
    /// (nodes without IPv4 addresses; VXLAN's outer packets IPv6).
    static let cases: [(String, String?)] = [("host-gw", nil), ("vxlan-static", nil), ("vxlan-static", "192.168.64.0/24"),
                                             ("vxlan-multicast", nil), ("vxlan-multicast", "192.168.64.0/24"),
                                             ("host-gw", "fd00:64::/64"), ("vxlan-static", "fd00:64::/64")]

    @Test(arguments: cases.indices)
    func everyPairAnswersOverIPv6AndNothingHasIPv4(_ index: Int) throws {
        let (backend, underlay) = Self.cases[index]
        try withCluster(network: Self.networks[backend]!, underlay: underlay) { cluster, file in
            let label = "\(backend)\(underlay.map { " on underlay \($0)" } ?? "")"
            let checked = try PodnetBinary.run(["check", file.path])
            #expect(checked.status == 0, "\(label): \(checked.stdout)\n\(checked.stderr)")
            #expect(checked.stdout.contains("pod → pod over IPv6: ICMPv6 echo"), "\(checked.stdout)")
            #expect(!checked.stdout.contains("pod → pod: ICMP echo"), "\(checked.stdout)")
            #expect(checked.stdout.contains("ok: cluster \(cluster): all 16 IPv6 pod pairs and 4 service checks as expected"),
                    "\(label): \(checked.stdout)")
            let machine = try #require(try JSONSerialization.jsonObject(
                with: Data(try PodnetBinary.run(["check", "--pods-only", "-o", "json", file.path]).stdout.utf8)) as? [String: Any])
            #expect(machine["ok"] as? Bool == true && machine["podToPod"] == nil, "\(machine)")
            #expect((machine["podToPodIPv6"] as? [String: Any])?["asExpected"] as? Int == 16, "\(machine)")
            // No IPv4 address on a pod or a bridge, no IPv4 route in a pod, no `ip` table.
            for pod in ["a0", "a1", "b", "c"] {
                #expect(try shell("ip -n \(cluster).\(pod) -4 -o addr show dev eth0").stdout.isEmpty, "\(pod)")
                #expect(try shell("ip -n \(cluster).\(pod) -4 route show").stdout.isEmpty, "\(pod)")
            }
            for node in ["node-0", "node-1", "node-2"] {
                #expect(try shell("ip -n \(cluster).\(node) -4 -o addr show dev cni0").stdout.isEmpty, "\(node)")
                if underlay == "fd00:64::/64" {
                    #expect(try shell("ip -n \(cluster).\(node) -4 -o addr show scope global").stdout.isEmpty, "\(label): \(node) has IPv4")
                }
                let tables = try shell("ip netns exec \(cluster).\(node) nft list tables").stdout
                #expect(tables.contains("table ip6 podnet-\(cluster)") && !tables.contains("table ip podnet-"), "\(node): \(tables)")
            }
            let again = try PodnetBinary.run(["diff", "--detailed-exitcode", file.path])
            #expect(again.status == 0, "\(label): \(again.stdout)\n\(again.stderr)")
        }
    }

    struct Result: Decodable {
        var service: String
        var from: String
        var destination: String?
        var answers: [String: Int]
        var ok: Bool
    }

    /// From c (another node), a1 (an endpoint's node) and a0 (an endpoint: hairpin),
    /// 200 connections to the IPv6 ClusterIP each, every one answered, each endpoint
    /// 35–65% of them.
    @Test(arguments: ["nftables", "iptables"])
    func theThreeCasesOfSeed003HoldOverIPv6(mode: String) throws {
        try withCluster(network: Self.networks["vxlan-static"]!, proxy: "proxy: { mode: \(mode) }") { cluster, file in
            struct Report: Decodable { struct Services: Decodable { var results: [Result] }; var services: Services }
            let run = try PodnetBinary.run(["check", "--services-only", "--connections", "200", "-o", "json", file.path])
            #expect(run.status == 0, "\(mode): \(run.stdout)\n\(run.stderr)")
            let results = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8)).services.results
            for from in ["c", "a1", "a0"] {
                let result = try #require(results.first { $0.service == "web" && $0.from == from }, "\(results)")
                #expect(result.answers.values.reduce(0, +) == 200, "\(mode) from \(from): \(result)")
                for endpoint in ["a0", "b"] {
                    let share = Double(result.answers[endpoint] ?? 0) / 200
                    #expect((0.35...0.65).contains(share), "\(mode) from \(from): \(endpoint) got \(share)")
                }
            }
            #expect(try PodnetBinary.run(["diff", "--detailed-exitcode", file.path]).status == 0)
        }
    }
    /// The dual-stack example made IPv6-only (clusterCIDR and serviceCIDR without their
    /// IPv4 prefixes): the plan only deletes, and only IPv4 objects; every IPv6 address
    /// stays as it was, and check passes over IPv6. Made dual-stack again, the plan
    /// only creates.
    @Test func droppingAndAddingBackIPv4TouchesOnlyIPv4Objects() throws {
        let cluster = "pnv6" + String(Int.random(in: 100_000...999_999))
        let dual = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/dual-stack.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\nname: ds\n", with: "\nname: \(cluster)\n")
        let ipv6Only = dual.replacingOccurrences(of: "clusterCIDR: [10.200.0.0/16, fd00:200::/48]", with: "clusterCIDR: fd00:200::/48")
            .replacingOccurrences(of: "serviceCIDR: [10.96.0.0/12, fd00:96::/112]", with: "serviceCIDR: fd00:96::/112")
        try #require(ipv6Only != dual && dual.contains("name: \(cluster)"))
        let files = ["dual", "ipv6"].map { FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster)-\($0).yaml") }
        try dual.write(to: files[0], atomically: true, encoding: .utf8)
        try ipv6Only.write(to: files[1], atomically: true, encoding: .utf8)
        defer {
            _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
            _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
            for file in files { try? FileManager.default.removeItem(at: file) }
        }
        func plan(_ file: URL) throws -> (summary: [String: Int], objects: [String]) {
            let run = try PodnetBinary.run(["diff", "-o", "json", file.path])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let operations = try #require(json["operations"] as? [[String: Any]])
            return (try #require(json["summary"] as? [String: Int]), operations.compactMap { $0["object"] as? String })
        }
        func ipv6Addresses() throws -> String {
            try ["a0", "b", "c", "node-0", "node-1", "node-2"].map { member in
                try shell("ip -n \(cluster).\(member) -6 -o addr show scope global | awk '{print $2, $4}'").stdout
            }.joined()
        }
        #expect(try PodnetBinary.run(["apply", files[0].path]).status == 0)
        let before = try ipv6Addresses()
        let dropping = try plan(files[1])
        #expect(dropping.summary["create"] == 0 && dropping.summary["update"] == 0 && dropping.summary["delete"]! > 0, "\(dropping)")
        #expect(!dropping.objects.contains { $0.contains("fd00:") || $0.contains("ip6 ") }, "\(dropping.objects)")
        #expect(try PodnetBinary.run(["apply", files[1].path]).status == 0)
        #expect(try ipv6Addresses() == before)
        let checked = try PodnetBinary.run(["check", files[1].path])
        #expect(checked.status == 0 && checked.stdout.contains("all 9 IPv6 pod pairs and 3 service checks"), "\(checked.stdout)")
        #expect(try shell("ip -n \(cluster).a0 -4 -o addr show dev eth0").stdout.isEmpty)
        let adding = try plan(files[0])
        #expect(adding.summary["create"]! > 0 && adding.summary["update"] == 0 && adding.summary["delete"] == 0, "\(adding)")
        #expect(try PodnetBinary.run(["apply", files[0].path]).status == 0)
        #expect(try ipv6Addresses() == before)
        #expect(try PodnetBinary.run(["check", files[0].path]).status == 0)
    }
    /// Static VXLAN on an IPv6-only underlay: the VTEPs' addresses and the FDB entries'
    /// destinations are IPv6, and the pod MTU leaves room for the 40-byte outer header.
    @Test func staticVXLANRunsOverAnIPv6OnlyUnderlay() throws {
        try withCluster(network: Self.networks["vxlan-static"]!, underlay: "fd00:64::/64") { cluster, file in
            let details = try shell("ip -n \(cluster).node-0 -d link show vxlan0").stdout
            #expect(details.contains("local fd00:64::4") && details.contains("mtu 1430"), "\(details)")
            let fdb = try shell("bridge -n \(cluster).node-0 fdb show dev vxlan0").stdout
            #expect(fdb.contains("dst fd00:64::5") && fdb.contains("dst fd00:64::6"), "\(fdb)")
            // A full-size packet crosses (1430 less 48 bytes of IPv6 and ICMPv6 headers), not fragmented.
            let ping = try shell("ip netns exec \(cluster).a0 ping -6 -c 1 -W 2 -M do -s 1382 fd00:200:0:1::2")
            #expect(ping.status == 0, "\(ping.stdout)")
        }
    }
    /// IPv6 from end to end (Fixtures/ipv6-only/host-gw-ipv6-underlay.yaml): nodes and
    /// the lab client have IPv6 addresses alone; the client reaches the NodePort at
    /// every node's IPv6 address.
    @Test func aClientReachesTheNodePortsOverAnIPv6OnlyUnderlay() throws {
        let fixture = PodnetBinary.repository.appendingPathComponent("Tests/PodnetTopologyTests/Fixtures/ipv6-only/host-gw-ipv6-underlay.yaml")
        try withTestCluster(prefix: "pnv6", text: { _ in try String(contentsOf: fixture, encoding: .utf8) }) { cluster, file in
            let applied = try PodnetBinary.run(["apply", file.path])
            try #require(applied.status == 0, "\(applied.stderr)")
            #expect(try shell("ip -n \(cluster).outside -4 -o addr show scope global").stdout.isEmpty)
            let checked = try PodnetBinary.run(["check", file.path])
            #expect(checked.status == 0, "\(checked.stdout)\n\(checked.stderr)")
            #expect(checked.stdout.contains("[fd00:64::4]:30000") && checked.stdout.contains("[fd00:64::20]:30000"), "\(checked.stdout)")
            #expect(checked.stdout.contains("checks from outside as expected"), "\(checked.stdout)")
        }
    }
}
