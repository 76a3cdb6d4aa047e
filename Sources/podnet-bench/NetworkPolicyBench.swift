// podnet-bench netpol [PODS] [NAMESPACES] [POLICIES]: NetworkPolicy's table of one
// node carrying PODS pods (default 1,000) in NAMESPACES namespaces (20) under
// POLICIES policies (200, spread evenly), in a namespace pnbench.netpol made for the
// run and removed at the end. Every pod runs on that node, so every isolated pod's
// chain is in its table: the worst case of one node.
//
//   (a) cold: the whole table in one netlink transaction, against `nft -f` of the
//       same ruleset as text (the plan's own nft statements);
//   (b) one pod relabelled into a peer selection (tier api → web): the plan is
//       set elements only; its transaction, against `nft -f` of the same change;
//   (c) one policy's port changed: its chain rewritten; read + diff + apply, and
//       the transaction alone, against `nft -f`;
//   (d) the kernel's floor for a change: one plain set element, one verdict-map
//       element (a jump: the kernel then validates the whole table for loops).
// Each policy namespace has a default deny of ingress, eight allow policies (from
// the next app of the namespace, and from tier=web pods of the namespaces of one
// team, on TCP 8080 and the named port http), and one egress policy (DNS and a
// TCP range to an ipBlock with except, and to app-0 pods anywhere).
import Foundation
import PodnetAddress
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology

enum NetworkPolicyBench {
    typealias Bench = NFTablesBench

    static func run(arguments: [String]) throws {
        let podCount = arguments.first.flatMap(Int.init) ?? 1000
        let namespaceCount = arguments.dropFirst().first.flatMap(Int.init) ?? 20
        let policyCount = arguments.dropFirst(2).first.flatMap(Int.init) ?? 200
        let directory = NetnsDirectory()
        let name = try NetnsName("pnbench.netpol")
        try? directory.delete(name)
        try directory.add(name)
        defer { try? directory.delete(name) }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("pnbench-netpol-\(getpid()).nft")
        defer { try? FileManager.default.removeItem(at: script) }

        var start = Bench.clock()
        let topology = makeTopology(pods: podCount, namespaces: namespaceCount, policies: policyCount)
        let node = topology.nodes[0]
        let table = NetworkPolicyRenderer(topology: topology).table(forNode: node, in: .named(name.rawValue))!
        let renderTime = Bench.clock() - start
        let creation = NFTablesDiff.changes(live: nil, desired: table)
        let driver = try NFTablesDriver(namespace: directory.open(name))
        try (creation.flatMap(\.nftStatements).joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)

        // (a) Cold.
        var podnetCold: [Double] = [], nftCold: [Double] = []
        for _ in 0..<5 {
            start = Bench.clock()
            try driver.apply(NFTablesDiff.changes(live: nil, desired: table))
            podnetCold.append(Bench.clock() - start)
            try driver.apply([.deleteTable(table.id)])
            start = Bench.clock()
            try Bench.nft(name, script.path)
            nftCold.append(Bench.clock() - start)
            try driver.apply([.deleteTable(table.id)])
        }
        try driver.apply(creation)
        let readBack = try driver.read(table.id)
        precondition(readBack == table, "the table read back differs from the one written")

        // (b) A pod relabelled into a peer selection: set elements only.
        var relabelled = topology
        let pod = relabelled.pods.firstIndex { $0.labels["tier"] == "api" }!
        relabelled.pods[pod].labels["tier"] = "web"
        let relabelledTable = NetworkPolicyRenderer(topology: relabelled).table(forNode: node, in: .named(name.rawValue))!
        let relabel = NFTablesDiff.changes(live: table, desired: relabelledTable)
        let elementsOnly = relabel.allSatisfy { if case .addElements = $0 { return true } else { return false } }
        precondition(!relabel.isEmpty, "relabelling changed nothing")
        let (relabelApply, relabelNFT) = try timeBackAndForth(table, relabelledTable, driver: driver, namespace: name, script: script)

        // (c) One policy's port changed: its chain rewritten.
        var edited = topology
        let policy = edited.networkPolicies.firstIndex { $0.name.hasPrefix("allow-") }!
        edited.networkPolicies[policy].ingress[0].ports[0].port = .number(8081)
        let editedTable = NetworkPolicyRenderer(topology: edited).table(forNode: node, in: .named(name.rawValue))!
        let edit = NFTablesDiff.changes(live: table, desired: editedTable)
        var readDiffApply: [Double] = []
        for round in 0..<6 {
            let to = round % 2 == 0 ? editedTable : table
            start = Bench.clock()
            let live = try driver.read(table.id)
            try driver.apply(NFTablesDiff.changes(live: live, desired: to))
            readDiffApply.append(Bench.clock() - start)
        }
        let (editApply, editNFT) = try timeBackAndForth(table, editedTable, driver: driver, namespace: name, script: script)

        // (d) The kernel's floor.
        let peerSet = table.sets.keys.sorted().first { $0.hasPrefix("pods-") }!
        let someChain = table.chains.keys.sorted().first { $0.hasPrefix("to-") }!
        let plain = NFTSetElement(key: [.ipv4(IPv4Address(10, 99, 9, 9))])
        let verdict = NFTSetElement(key: [.ipv4(IPv4Address(10, 99, 9, 9))], data: .verdict(.jump(someChain)))
        var plainElement: [Double] = [], verdictElement: [Double] = []
        for _ in 0..<7 {
            start = Bench.clock()
            try driver.apply([.addElements(table.id, set: peerSet, [plain])])
            plainElement.append(Bench.clock() - start)
            try driver.apply([.deleteElements(table.id, set: peerSet, [plain])])
            start = Bench.clock()
            try driver.apply([.addElements(table.id, set: NetworkPolicyNames.ingressPods, [verdict])])
            verdictElement.append(Bench.clock() - start)
            try driver.apply([.deleteElements(table.id, set: NetworkPolicyNames.ingressPods, [verdict])])
        }

        let rules = table.chains.values.reduce(0) { $0 + $1.rules.count }
        let elements = table.sets.values.reduce(0) { $0 + $1.elements.count }
        let isolated = table.sets[NetworkPolicyNames.ingressPods]!.elements.count + table.sets[NetworkPolicyNames.egressPods]!.elements.count
        let median = Bench.median
        func ms(_ seconds: Double) -> String { String(format: seconds < 0.01 ? "%.2f ms" : "%.1f ms", seconds * 1000) }
        print("""
        podnet-bench netpol: \(podCount) pods in \(namespaceCount) namespaces, \(topology.networkPolicies.count) policies, all pods on one node: \
        \(table.chains.count) chains, \(rules) rules, \(table.sets.count) sets with \(elements) elements, \(isolated) pod chains; render \(ms(renderTime))
        (a) cold, one transaction:  podnet \(ms(median(podnetCold)))   nft -f \(ms(median(nftCold)))   → podnet/nft = \(String(format: "%.2f", median(podnetCold) / median(nftCold)))
        (b) one pod relabelled into a peer selection: \(relabel.count) change\(relabel.count == 1 ? "" : "s") (\(relabel.map(\.description).joined(separator: ", "))), \
        \(elementsOnly ? "set elements only" : "NOT elements only"): transaction \(ms(median(relabelApply)))   nft -f \(ms(median(relabelNFT)))
        (c) one policy's port changed: \(edit.count) changes (\(Set(edit.map { String($0.description.prefix(while: { $0 != " " })) }).sorted().joined(separator: ", "))): \
        read+diff+apply \(ms(median(readDiffApply))), transaction \(ms(median(editApply)))   nft -f \(ms(median(editNFT)))
        (d) the kernel's floor: a plain set element \(ms(median(plainElement))), a verdict-map element (jump) \(ms(median(verdictElement)))
             (b) against the plain element: \(String(format: "%.2f", median(relabelApply) / median(plainElement)))×; (c)'s transaction against the verdict element: \(String(format: "%.2f", median(editApply) / median(verdictElement)))×
        medians of \(podnetCold.count) (a), \(relabelApply.count) (b), \(editApply.count) (c), \(plainElement.count) (d) runs; nft runs through `ip netns exec`
        """)
    }

    /// The transaction from `a` to `b` and back, each timed, three times; and `nft -f`
    /// of the same changes.
    static func timeBackAndForth(_ a: NFTable, _ b: NFTable, driver: NFTablesDriver, namespace: NetnsName,
                                 script: URL) throws -> (podnet: [Double], nft: [Double]) {
        var podnet: [Double] = [], nft: [Double] = []
        for _ in 0..<3 {
            for (from, to) in [(a, b), (b, a)] {
                let changes = NFTablesDiff.changes(live: from, desired: to)
                let start = Bench.clock()
                try driver.apply(changes)
                podnet.append(Bench.clock() - start)
            }
            for (from, to) in [(a, b), (b, a)] {
                try (NFTablesDiff.changes(live: from, desired: to).flatMap(\.nftStatements).joined(separator: "\n") + "\n")
                    .write(to: script, atomically: true, encoding: .utf8)
                let start = Bench.clock()
                try Bench.nft(namespace, script.path)
                nft.append(Bench.clock() - start)
            }
        }
        return (podnet, nft)
    }

    static func makeTopology(pods podCount: Int, namespaces namespaceCount: Int, policies policyCount: Int) -> Topology {
        let clusterCIDR = IPv4Prefix("10.200.0.0/16")!
        let podCIDR = IPv4Prefix("10.200.0.0/20")!
        let node = Node(name: "node-0", address: IPv4Address(192, 168, 64, 4), podCIDR: podCIDR, bridge: "cni0")
        let tiers = ["web", "api", "db"]
        let namespaces = (0..<namespaceCount).map { Namespace(name: "ns-\($0)", labels: ["team": "team-\($0 % 4)"]) }
        let pods = (0..<podCount).map { index in
            let group = index / namespaceCount
            return Pod(name: "p\(index)", node: node.name, ip: podCIDR.first.advanced(by: 2 + index)!,
                       labels: ["app": "app-\(group % 10)", "tier": tiers[group % 3]],
                       namespace: "ns-\(index % namespaceCount)", ports: [PodPort(name: "http", port: 8080)])
        }
        var policies: [NetworkPolicy] = []
        for index in 0..<policyCount {
            let namespace = "ns-\(index % namespaceCount)"
            let kind = (index / namespaceCount) % 10
            switch kind {
            case 0:
                policies.append(NetworkPolicy(name: "deny-\(index)", namespace: namespace, policyTypes: [.ingress]))
            case 9:
                policies.append(NetworkPolicy(
                    name: "egress-\(index)", namespace: namespace, podSelector: LabelSelector(matchLabels: ["tier": "db"]),
                    policyTypes: [.egress],
                    egress: [NetworkPolicyRule(
                        peers: [.addresses(IPBlock(cidr: IPv4Prefix("10.0.0.0/8")!, except: [clusterCIDR])),
                                NetworkPolicyPeer(podSelector: LabelSelector(matchLabels: ["app": "app-0"]), namespaceSelector: .everything)],
                        ports: [NetworkPolicyPort(protocol: .udp, port: .number(53)), NetworkPolicyPort(port: .number(5432), endPort: 5440)])]))
            default:
                policies.append(NetworkPolicy(
                    name: "allow-\(index)", namespace: namespace, podSelector: LabelSelector(matchLabels: ["app": "app-\(kind)"]),
                    ingress: [NetworkPolicyRule(
                        peers: [.pods(LabelSelector(matchLabels: ["app": "app-\((kind + 1) % 10)"])),
                                NetworkPolicyPeer(podSelector: LabelSelector(matchLabels: ["tier": "web"]),
                                                  namespaceSelector: LabelSelector(matchLabels: ["team": "team-\(kind % 4)"]))],
                        ports: [NetworkPolicyPort(port: .number(8080)), NetworkPolicyPort(port: .name("http"))])]))
            }
        }
        return Topology(name: "bench", clusterCIDR: clusterCIDR, serviceCIDR: nil, network: Network(backend: .hostGW),
                        proxy: Proxy(mode: .nftables), underlay: Underlay(), nodes: [node], pods: pods, links: [], services: [],
                        namespaces: namespaces, networkPolicies: policies)
    }
}
