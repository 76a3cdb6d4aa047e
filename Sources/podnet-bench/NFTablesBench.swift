// podnet-bench nftables [SERVICES] [ENDPOINTS]: the nftables proxy table for SERVICES
// services (default 1,000) of ENDPOINTS endpoints each (default 10), in a namespace
// pnbench.nft made for the run and removed at the end:
//
//   (a) cold: the whole table written in one netlink transaction, against `nft -f`
//       of the same ruleset as text (the plan's own nft statements);
//   (b) one service changed (an endpoint fewer) with all the others present: read the
//       table back, diff, apply, and `nft -f` of the same change as text;
//   (c) reading the whole table back;
//   (b') the same change as apply makes it once the table has a record (no read);
//   (d) the kernel's own floor for a change: one plain and one verdict element (the
//       latter also after 64 MiB of other work: the table out of the caches).
// `podnet-bench nftables SERVICES ENDPOINTS nodeport` makes every service a NodePort
// service, every second one with externalTrafficPolicy Local (issue 14's shape).
// PNBENCH_QUICK=1 runs each slow step once (cold, `nft -f`, iptables-restore, the
// change without a record, the whole read): for slow machines, such as the
// full-kernel lane under emulation (scripts/kernel-lane/run.sh nftables-bench).
// PNBENCH_CHANGES=1 also lists the changes of (b) and times each alone;
// PNBENCH_SHAPES=1 times one-change transactions of each kind; PNBENCH_RECORD_PARTS=1
// times the steps of (b') alone; PNBENCH_RECORD_ROUNDS=N makes (b') N rounds (10),
// for a profiler.
import Foundation
import PodnetAddress
import PodnetKernel
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan
import PodnetRender
import PodnetTopology

enum NFTablesBench {
    static func run(arguments: [String]) throws {
        let services = arguments.first.flatMap(Int.init) ?? 1000
        let endpoints = arguments.dropFirst().first.flatMap(Int.init) ?? 10
        let nodePorts = arguments.dropFirst(2).first == "nodeport"
        let quick = ProcessInfo.processInfo.environment["PNBENCH_QUICK"] != nil
        let directory = NetnsDirectory()
        let name = try NetnsName("pnbench.nft")
        try? directory.delete(name)
        try directory.add(name)
        defer { try? directory.delete(name) }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("pnbench-\(getpid()).nft")
        defer { try? FileManager.default.removeItem(at: script) }

        var start = clock()
        let topology = makeTopology(services: services, endpoints: endpoints, nodePorts: nodePorts)
        let renderer = NFTablesProxyRenderer(topology: topology)
        let table = renderer.table(forNode: topology.nodes[0], in: .named(name.rawValue))!
        let renderTime = clock() - start
        start = clock()
        let creation = NFTablesDiff.changes(live: nil, desired: table)
        let diffTime = clock() - start
        let requests = NFTablesDriver.requests(for: creation).requests.count
        let driver = try NFTablesDriver(namespace: directory.open(name))

        // (a) Cold.
        var podnetCold: [Double] = [], nftCold: [Double] = []
        let slowRuns = quick ? 1 : 5
        try (creation.flatMap(\.nftStatements).joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)
        if let keep = ProcessInfo.processInfo.environment["PNBENCH_KEEP_SCRIPT"] {
            try? FileManager.default.copyItem(atPath: script.path, toPath: keep)
        }
        for _ in 0..<slowRuns {
            start = clock()
            try driver.apply(NFTablesDiff.changes(live: nil, desired: table))
            podnetCold.append(clock() - start)
            try driver.apply([.deleteTable(table.id)])
            start = clock()
            try nft(name, script.path)
            nftCold.append(clock() - start)
            try driver.apply([.deleteTable(table.id)])
        }
        try driver.apply(creation)

        // (a') The same services in kube-proxy's iptables layout, by iptables-restore
        // into a fresh namespace each run (the comparison issue 6 asks for).
        var iptablesTopology = topology
        iptablesTopology.proxy = Proxy(mode: .iptables)
        let iptablesName = try NetnsName("pnbench.ipt")
        let layout = IPTablesProxyRenderer(topology: iptablesTopology).ruleset(forNode: topology.nodes[0])
        let restoreText = IPTablesChange.restoreInput(for: IPTablesDiff.changes(live: IPTablesRuleset(), desired: layout))
        let restoreFile = FileManager.default.temporaryDirectory.appendingPathComponent("pnbench-\(getpid()).iptables")
        defer { try? FileManager.default.removeItem(at: restoreFile) }
        try restoreText.write(to: restoreFile, atomically: true, encoding: .utf8)
        var iptablesCold: [Double] = []
        for _ in 0..<(quick ? 1 : 3) {
            try? directory.delete(iptablesName)
            try directory.add(iptablesName)
            start = clock()
            try run(["ip", "netns", "exec", iptablesName.rawValue, "iptables-restore", "--noflush", restoreFile.path])
            iptablesCold.append(clock() - start)
            try directory.delete(iptablesName)
        }
        let iptablesRules = layout.ruleCount

        // (c) Reading back.
        var reads: [Double] = []
        for _ in 0..<slowRuns {
            start = clock()
            let live = try driver.read(table.id)
            reads.append(clock() - start)
            precondition(live == table, "the table read back differs from the one written")
        }

        if ProcessInfo.processInfo.environment["PNBENCH_PROFILE"] != nil {
            for (what, request) in [("chains", NFTablesBatch.dumpChains(table.id)), ("sets", NFTablesBatch.dumpSets(table.id)),
                                    ("rules", NFTablesBatch.dumpRules(table.id))] {
                start = clock()
                let messages = try driver.connection.dump(request)
                print("dump \(what): \(messages.count) messages, \(ms(clock() - start))")
            }
            start = clock()
            var perChain = 0
            for chain in table.chains.keys { perChain += try driver.connection.dump(NFTablesBatch.dumpRules(table.id, chain: chain)).count }
            print("per-chain rule dumps: \(perChain) messages, \(ms(clock() - start))")
            start = clock()
            for index in 0..<200 { _ = try driver.connection.dump(NFTablesBatch.dumpElements(of: "__map\(index)", in: table.id)) }
            print("200 element dumps: \(ms(clock() - start))")
        }

        // (b) One service changes, back and forth.
        var changed = topology
        changed.services[services / 2].endpoints.removeLast()
        let changedTable = NFTablesProxyRenderer(topology: changed).table(forNode: changed.nodes[0], in: .named(name.rawValue))!
        var readDiffApply: [Double] = [], applyOnly: [Double] = [], nftChange: [Double] = []
        var changeCount = 0
        for round in 0..<(quick ? 2 : 6) {
            let (from, to) = round % 2 == 0 ? (table, changedTable) : (changedTable, table)
            start = clock()
            let live = try driver.read(table.id)
            let changes = NFTablesDiff.changes(live: live, desired: to)
            let applyStart = clock()
            try driver.apply(changes)
            applyOnly.append(clock() - applyStart)
            readDiffApply.append(clock() - start)
            changeCount = changes.count
            // The same change through nft, and back, so that the next round starts from `to`.
            try (NFTablesDiff.changes(live: to, desired: from).flatMap(\.nftStatements).joined(separator: "\n") + "\n")
                .write(to: script, atomically: true, encoding: .utf8)
            try nft(name, script.path)
            try (changes.flatMap(\.nftStatements).joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)
            start = clock()
            try nft(name, script.path)
            nftChange.append(clock() - start)
        }

        // (b') The same change as `podnet apply` makes it once the table has a record:
        // the generation asked, the record loaded and checked, the old table rebuilt from
        // the desired one and the record (only the changed service rendered), diffed,
        // applied against the generation, and the new record written.
        let records = NFTablesRecordStore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("pnbench-\(getpid())-records").path)
        try FileManager.default.createDirectory(atPath: records.directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: records.directory) }
        let renderers = (NFTablesProxyRenderer(topology: topology), NFTablesProxyRenderer(topology: changed))
        let socket = try NamespaceSockets.open(in: [directory.open(name)], bus: .netfilter)[0]
        let recordConnection = NetlinkConnection(socket: socket)
        let recordDriver = NFTablesDriver(connection: recordConnection)
        let cookie = try socket.namespaceCookie()
        let recordLayout = renderers.0.layout()
        try records.save(renderers.0.record(), for: table.id,
                         at: NFTablesGenerationStamp(generation: recordConnection.nfGeneration(), namespaceCookie: cookie))
        // PNBENCH_RECORD_PARTS=1: what each step of (b') costs alone.
        if ProcessInfo.processInfo.environment["PNBENCH_RECORD_PARTS"] != nil {
            for _ in 0..<3 {
                var t = clock(); _ = renderers.0.layout(); let a = clock() - t
                t = clock(); let r = renderers.0.record(); let b = clock() - t
                let f = NFTablesRecordFile(bootID: "b", namespaceCookie: 1, generation: 1, record: r)
                t = clock(); let text = f.text; let c = clock() - t
                let bytes = Array(text.utf8)
                t = clock(); _ = bytes.withUnsafeBufferPointer { NFTablesRecordFile(utf8: $0) }; let d = clock() - t
                t = clock(); _ = records.load(table.id); let e = clock() - t
                let current = renderers.1.record()
                t = clock(); _ = renderers.1.rebuild(recordedAs: r, desired: changedTable, onNode: changed.nodes[0].name, current: current); let g = clock() - t
                let serviceChain = table.chains.keys.filter { $0.hasPrefix("service-") }.sorted()[services / 2]
                t = clock(); _ = try recordConnection.nfTableParts(table.id, chains: [serviceChain], sets: []); let h = clock() - t
                let stamp = NFTablesGenerationStamp(generation: 1, namespaceCookie: 1)
                let scratch = NFTable.ID(namespace: .named("pnbench-parts"), name: table.id.name)
                t = clock(); try records.save(r, for: scratch, at: stamp); let k = clock() - t
                records.remove(scratch)
                print("record parts: layout \(ms(a)), record \(ms(b)), file text \(ms(c)), parse \(ms(d)), load \(ms(e)), rebuild \(ms(g)), "
                      + "read back one service chain \(ms(h)), record saved \(ms(k))")
            }
        }
        var throughRecord: [Double] = [], recordPhases: [[Double]] = []
        for round in 0..<max(1, Int(ProcessInfo.processInfo.environment["PNBENCH_RECORD_ROUNDS"] ?? "") ?? 10) {
            let (renderer, desired, from) = round % 2 == 0 ? (renderers.1, changedTable, table) : (renderers.0, table, changedTable)
            start = clock()
            let stamp = NFTablesGenerationStamp(generation: try recordConnection.nfGeneration(), namespaceCookie: cookie)
            guard let record = records.record(for: table.id, layout: recordLayout, at: stamp) else { throw BenchError(message: "the record does not hold") }
            let loaded = clock()
            let current = renderer.record()
            guard let live = renderer.rebuild(recordedAs: record, desired: desired, onNode: topology.nodes[0].name, current: current) else { throw BenchError(message: "no rebuild") }
            let rebuilt = clock()
            let changes = NFTablesDiff.changes(live: live.table, desired: desired, differingChains: live.differingChains)
            let diffed = clock()
            let commit = NFTablesCommit(plannedAt: stamp, plannedFrom: live.table, expected: desired, record: current)
            records.remove(table.id)
            guard let committed = try recordDriver.commitGuarded(changes, as: commit) else { throw BenchError(message: "unguarded") }
            let applied = clock()
            recordDriver.keepRecord(of: changes, committedAt: committed, as: commit, store: records)
            let end = clock()
            throughRecord.append(end - start)
            recordPhases.append([loaded - start, rebuilt - loaded, diffed - rebuilt, applied - diffed, end - applied])
            precondition(changes == NFTablesDiff.changes(live: from, desired: desired), "through the record, other changes than from the table")
        }
        let afterRecordedChanges = try driver.read(table.id)
        precondition(afterRecordedChanges == table, "the table after the changes through the record differs from the one written")
        let phaseNames = ["generation + record", "rebuild (with the new record)", "diff", "transaction", "read-back of what it wrote + record written"]
        let phaseText = phaseNames.indices.map { index in "\(phaseNames[index]) \(ms(median(recordPhases.map { $0[index] })))" }.joined(separator: ", ")

        if ProcessInfo.processInfo.environment["PNBENCH_CHANGES"] != nil {
            let forward = NFTablesDiff.changes(live: table, desired: changedTable)
            for change in forward { print("change: \(change.description)") }
            // Each change alone, applied and undone, to see which ones the kernel makes expensive.
            for (index, change) in forward.enumerated() {
                let before = try driver.read(table.id)!
                start = clock()
                do { try driver.apply([change]) } catch { print("  #\(index) alone refused: \(error)"); continue }
                print("  #\(index) alone: \(ms(clock() - start))")
                try driver.apply(NFTablesDiff.changes(live: try driver.read(table.id), desired: before))
            }
        }

        // (d) The kernel's own floor for a change, with the whole table present: a
        // transaction that adds a verdict (a jump or goto, as every service change
        // does) makes the kernel validate the whole table for loops before it
        // commits; one that adds a plain set element does not.
        // The walk is bound by memory: measured right after another transaction it
        // finds the table in the processor's caches; after 64 MiB of other work (as in
        // any real apply, which renders the desired state first) it does not.
        var plainElement: [Double] = [], verdictElement: [Double] = [], verdictElementAfterOtherWork: [Double] = []
        let someChain = table.chains.keys.sorted().first { $0.hasPrefix("service-") }!
        let plain = NFTSetElement(key: [.ipv4(IPv4Address(10, 99, 9, 9))])
        let verdict = NFTSetElement(key: [.ipv4(IPv4Address(10, 99, 9, 9)), .inetProto(6), .inetService(81)], data: .verdict(.goto(someChain)))
        for _ in 0..<5 {
            start = clock()
            try driver.apply([.addElements(table.id, set: NFTablesProxyNames.clusterIPs, [plain])])
            plainElement.append(clock() - start)
            try driver.apply([.deleteElements(table.id, set: NFTablesProxyNames.clusterIPs, [plain])])
            start = clock()
            try driver.apply([.addElements(table.id, set: NFTablesProxyNames.serviceIPs, [verdict])])
            verdictElement.append(clock() - start)
            try driver.apply([.deleteElements(table.id, set: NFTablesProxyNames.serviceIPs, [verdict])])
            evictCaches()
            start = clock()
            try driver.apply([.addElements(table.id, set: NFTablesProxyNames.serviceIPs, [verdict])])
            verdictElementAfterOtherWork.append(clock() - start)
            try driver.apply([.deleteElements(table.id, set: NFTablesProxyNames.serviceIPs, [verdict])])
        }

        // PNBENCH_SHAPES=1: what makes a one-change transaction cost what it does.
        if ProcessInfo.processInfo.environment["PNBENCH_SHAPES"] != nil {
            let endpointChain = table.chains.keys.sorted().first { $0.hasPrefix("endpoint-") }!
            let payloadOnly = NFTRule(NFTExpression.ipAddress(.source, equals: IPv4Address(10, 99, 9, 9)))
            let shapes: [(String, [NFTablesChange])] = [
                ("rule without a verdict", [.addRule(table.id, chain: endpointChain, payloadOnly)]),
                ("rule: accept", [.addRule(table.id, chain: endpointChain, NFTRule([.verdict(.accept)]))]),
                ("rule: dnat, no verdict", [.addRule(table.id, chain: endpointChain, NFTRule(NFTExpression.layer4Protocol(equals: 6)
                    + NFTExpression.destinationNAT(to: IPv4Address(10, 99, 9, 9), port: 8080)))]),
                ("rule: mark set, no verdict", [.addRule(table.id, chain: endpointChain, NFTRule(NFTExpression.markSetting(0x4000)))]),
                ("rule: jump mark-for-masquerade", [.addRule(table.id, chain: endpointChain, NFTRule([.verdict(.jump(NFTablesProxyNames.markForMasquerade))]))]),
                ("verdict element", [.addElements(table.id, set: NFTablesProxyNames.serviceIPs, [verdict])]),
                ("verdict element + rule accept", [.addElements(table.id, set: NFTablesProxyNames.serviceIPs, [verdict]),
                                                   .addRule(table.id, chain: endpointChain, NFTRule([.verdict(.accept)]))]),
            ]
            for (label, changes) in shapes {
                var times: [Double] = []
                for _ in 0..<7 {
                    let before = try driver.read(table.id)!
                    start = clock()
                    try driver.apply(changes)
                    times.append(clock() - start)
                    try driver.apply(NFTablesDiff.changes(live: try driver.read(table.id), desired: before))
                }
                print("shape \(label): \(ms(median(times)))")
            }
        }

        let rules = table.chains.values.reduce(0) { $0 + $1.rules.count }
        print("""
        podnet-bench nftables: \(services) \(nodePorts ? "NodePort services (every second one Local)" : "services") × \(endpoints) endpoints: \(table.chains.count) chains, \(rules) rules, \
        \(table.sets.values.reduce(0) { $0 + $1.elements.count }) map/set elements; \(requests) netlink requests
        render \(ms(renderTime)), diff from nothing \(ms(diffTime))
        (a) cold, one transaction:  podnet \(ms(median(podnetCold)))   nft -f \(ms(median(nftCold)))   → podnet/nft = \(String(format: "%.2f", median(podnetCold) / median(nftCold)))
        (b) one service changed (\(changeCount) changes): read+diff+apply \(ms(median(readDiffApply))), apply alone \(ms(median(applyOnly)))   nft -f of the change \(ms(median(nftChange)))
        (b') the same change with the table's record (what apply does when nothing else committed since): \(ms(median(throughRecord))) → change/cold = \(String(format: "%.3f", median(throughRecord) / median(podnetCold)))
             (\(phaseText))
        (a') iptables-restore of kube-proxy's iptables layout (\(layout.chainCount) chains, \(iptablesRules) rules): \(ms(median(iptablesCold)))   → podnet nftables/iptables-restore = \(String(format: "%.2f", median(podnetCold) / median(iptablesCold)))
        (c) read the whole table back: \(ms(median(reads)))
        (d) the kernel's floor for one change: a plain set element \(ms(median(plainElement))), a verdict-map element \(ms(median(verdictElement))) (the kernel validates the whole table for loops whenever a transaction adds a jump or goto) → floor/cold = \(String(format: "%.3f", median(verdictElement) / median(podnetCold)))
             the same verdict-map element after 64 MiB of other work (the table out of the caches, as in a real apply): \(ms(median(verdictElementAfterOtherWork))) → \(String(format: "%.3f", median(verdictElementAfterOtherWork) / median(podnetCold)))
             (b') against the floor: \(String(format: "%.2f", median(throughRecord) / median(verdictElement)))× the verdict element, \(String(format: "%.2f", median(throughRecord) / median(verdictElementAfterOtherWork)))× after other work
        medians of \(podnetCold.count) (a), \(readDiffApply.count) (b), \(throughRecord.count) (b'), \(reads.count) (c) runs; nft runs through `ip netns exec`
        """)
    }

    /// Touches 64 MiB, a line at a time, so that the processor's caches hold none of
    /// the kernel's table afterwards.
    static func evictCaches() {
        var bytes = [UInt8](repeating: 1, count: 64 << 20)
        var sum = 0
        for index in stride(from: 0, to: bytes.count, by: 64) {
            bytes[index] &+= UInt8(truncatingIfNeeded: index >> 6)
            sum &+= Int(bytes[index])
        }
        // Used, so that the optimizer keeps the writes.
        if sum == -1 { print(sum) }
    }

    /// SERVICES services with ENDPOINTS pods each, on nodes of 250 pods; with
    /// `nodePorts`, NodePort services (30000 on), every second one Local.
    static func makeTopology(services: Int, endpoints: Int, nodePorts: Bool = false) -> Topology {
        let podCount = services * endpoints
        let nodeCount = (podCount + 249) / 250
        let clusterCIDR = IPv4Prefix("10.128.0.0/9")!
        let nodes = (0..<max(1, nodeCount)).map { index in
            Node(name: "node-\(index)", address: IPv4Address(UInt32(0xC0A8_4004) + UInt32(index)),
                 podCIDR: clusterCIDR.subnet(length: 24, index: UInt64(index))!, bridge: "cni0")
        }
        let pods = (0..<podCount).map { index in
            let node = nodes[index / 250]
            return Pod(name: "p\(index)", node: node.name, ip: node.podCIDR!.first.advanced(by: 2 + index % 250)!)
        }
        let serviceList = (0..<services).map { index in
            Service(name: "svc-\(index)", clusterIP: IPv4Address(UInt32(0x0A60_0002) + UInt32(index)), selector: nil,
                    endpoints: (0..<endpoints).map { "p\(index * endpoints + $0)" },
                    ports: [ServicePort(port: 80, targetPort: 8080, nodePort: nodePorts ? 30000 + index : nil)],
                    type: nodePorts ? .nodePort : .clusterIP,
                    externalTrafficPolicy: nodePorts && index % 2 == 1 ? .local : .cluster)
        }
        return Topology(name: "bench", clusterCIDR: clusterCIDR, serviceCIDR: IPv4Prefix("10.96.0.0/12")!,
                        network: Network(backend: .hostGW), proxy: Proxy(mode: .nftables), underlay: Underlay(),
                        nodes: nodes, pods: pods, links: [], services: serviceList)
    }

    static func nft(_ namespace: NetnsName, _ path: String) throws {
        try run(["ip", "netns", "exec", namespace.rawValue, "nft", "-f", path])
    }

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = Array(arguments.dropFirst())
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError(message: "\(arguments.joined(separator: " ")) failed") }
    }

    struct BenchError: Error { var message: String }

    static func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    static func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
}
