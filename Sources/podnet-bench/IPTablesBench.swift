// podnet-bench iptables [SERVICES] [ENDPOINTS] [RUNS]: kube-proxy's iptables layout
// for SERVICES services (default 1,000) of ENDPOINTS endpoints each (default 10), the
// same topology as `podnet-bench nftables`, with each iptables backend (nft, legacy),
// in a namespace pnbench.ipt made for each run and removed at the end:
//
//   (a) cold: the whole layout as one `iptables-restore --noflush` (podnet's
//       IPTablesDriver: the tool spawned in the namespace, the text on its stdin);
//   (b) reading it back: `iptables-save`, then parsing podnet's part out of it;
//   (c) one service changed (an endpoint fewer): read, diff, apply.
//
// RUNS (default 1) runs of each; the figures are medians.
import Foundation
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology

enum IPTablesBench {
    static func run(arguments: [String]) throws {
        let services = arguments.first.flatMap(Int.init) ?? 1000
        let endpoints = arguments.dropFirst().first.flatMap(Int.init) ?? 10
        let runs = max(1, arguments.dropFirst(2).first.flatMap(Int.init) ?? 1)
        let directory = NetnsDirectory()
        let name = try NetnsName("pnbench.ipt")
        try? directory.delete(name)
        defer { try? directory.delete(name) }

        var topology = NFTablesBench.makeTopology(services: services, endpoints: endpoints)
        topology.proxy = Proxy(mode: .iptables)
        var start = clock()
        let desired = IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0])
        let renderTime = clock() - start
        start = clock()
        let creation = IPTablesDiff.changes(live: IPTablesRuleset(), desired: desired)
        let diffTime = clock() - start
        start = clock()
        let input = IPTablesChange.restoreInput(for: creation)
        let textTime = clock() - start
        var changed = topology
        changed.services[services / 2].endpoints.removeLast()
        let changedRuleset = IPTablesProxyRenderer(topology: changed).ruleset(forNode: changed.nodes[0])

        var lines: [String] = []
        for variant in [IPTablesVariant.nft, .legacy] {
            var cold: [Double] = [], save: [Double] = [], parse: [Double] = [], change: [Double] = []
            var changeCount = 0
            for _ in 0..<runs {
                try? directory.delete(name)
                try directory.add(name)
                let thread = try NetnsThread(named: name)
                defer { thread.close() }

                start = clock()
                try IPTablesDriver.restore(input, in: thread, variant: variant)
                cold.append(clock() - start)

                start = clock()
                let text = try IPTablesDriver.save(in: thread, variant: variant)
                save.append(clock() - start)
                start = clock()
                let live = IPTablesRuleset.parse(iptablesSave: text, cluster: topology.name)
                parse.append(clock() - start)
                guard live == desired else { throw NFTablesBench.BenchError(message: "the rules read back differ from those written") }

                start = clock()
                let current = try IPTablesDriver.read(in: thread, cluster: topology.name, variant: variant)
                let changes = IPTablesDiff.changes(live: current, desired: changedRuleset)
                try IPTablesDriver.apply(changes, in: thread, variant: variant)
                change.append(clock() - start)
                changeCount = changes.count
                thread.close()
                try directory.delete(name)
            }
            lines.append("""
            \(variant.rawValue):
              (a) cold, one iptables-restore --noflush: \(ms(median(cold)))
              (b) read back: iptables-save \(ms(median(save))) + parse \(ms(median(parse))) = \(ms(median(save) + median(parse)))
              (c) one service changed (\(changeCount) changes): read + diff + apply \(ms(median(change)))
            """)
        }
        print("""
        podnet-bench iptables: \(services) services × \(endpoints) endpoints: \(desired.chainCount) chains, \(desired.ruleCount) rules, \
        restore input \(input.utf8.count / 1024) KiB
        render \(ms(renderTime)), diff from nothing \(ms(diffTime)), restore text \(ms(textTime))
        \(lines.joined(separator: "\n"))
        medians of \(runs) run\(runs == 1 ? "" : "s") each, in a fresh namespace per run
        """)
    }

    static func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    static func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
}
