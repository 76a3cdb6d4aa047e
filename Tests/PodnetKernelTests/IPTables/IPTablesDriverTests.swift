import Foundation
import Glibc
@testable import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology
import Testing

/// TOPOLOGY.md's services example in iptables mode, with a second service of twelve
/// endpoints (the cascade's probabilities 1/12 … 1/2, as iptables prints them back)
/// and one without endpoints.
enum IPTablesExample {
    static var yaml: String {
        var text = """
        name: lab
        clusterCIDR: 10.200.0.0/16
        serviceCIDR: 10.96.0.0/12
        proxy: { mode: iptables }
        network: { backend: host-gw }
        nodes:
          - { name: node-0, address: 192.168.64.4, podCIDR: 10.200.0.0/24, bridge: br0 }
          - { name: node-1, address: 192.168.64.5, podCIDR: 10.200.1.0/24, bridge: br1 }
          - { name: node-2, address: 192.168.64.6, podCIDR: 10.200.2.0/24, bridge: br2 }
        pods:
          - { name: a0, node: node-0, ip: 10.200.0.2, labels: { app: web } }
          - { name: a1, node: node-0, ip: 10.200.0.3 }
          - { name: b,  node: node-1, ip: 10.200.1.2, labels: { app: web } }
          - { name: c,  node: node-2, ip: 10.200.2.2 }

        """
        for index in 0..<12 { text += "  - { name: m\(index), node: node-2, labels: { app: many } }\n" }
        text += """
        services:
          - name: kube-svc-1
            clusterIP: 10.96.0.2
            selector: { app: web }
            ports:
              - { port: 8080, targetPort: 8080, protocol: TCP }
          - { name: many, clusterIP: 10.96.0.4, selector: { app: many }, ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: UDP }] }
          - { name: empty, clusterIP: 10.96.0.3, endpoints: [], ports: [{ port: 53, protocol: UDP }] }
        """
        return text
    }

    static func topology(_ text: String = yaml) throws -> Topology {
        let loaded = TopologyLoader.load(text: text, file: "t.yaml")
        return try #require(loaded.topology, "\(loaded.diagnostics.map(\.message))")
    }

    static func ruleset(_ text: String = yaml) throws -> IPTablesRuleset {
        let topology = try topology(text)
        return IPTablesProxyRenderer(topology: topology).ruleset(forNode: topology.nodes[0])
    }

    /// How iptables-save lists a namespace holding only `ruleset` that podnet wrote
    /// into empty tables: built-in chains with podnet's jumps in the model's order,
    /// then the chains by name.
    static func saveText(_ ruleset: IPTablesRuleset) -> String { saveDump(ruleset).text }

    static func saveDump(_ ruleset: IPTablesRuleset) -> IPTablesDump {
        var dump = IPTablesDump()
        for table in IPTablesTable.allCases where !ruleset[table].isEmpty {
            var saved = IPTablesDump.Table(name: table.rawValue)
            for chain in table.builtinChains {
                saved[chain] = IPTablesDump.Chain(name: chain, policy: "ACCEPT", rules: ruleset[table].builtinRules[chain] ?? [])
            }
            for (name, rules) in ruleset[table].chains.sorted(by: { $0.key < $1.key }) {
                saved[name] = IPTablesDump.Chain(name: name, policy: nil, rules: rules)
            }
            dump[table.rawValue] = saved
        }
        return dump
    }
}

@Suite struct IPTablesErrorTests {
    @Test func theLineIPTablesRestoreNamesIsFound() {
        #expect(IPTablesError.lineNumber(in: "iptables-restore: line 7 failed") == 7)
        #expect(IPTablesError.lineNumber(in: "iptables-restore v1.8.9 (nf_tables): \nline 2: CHAIN_DEL failed (Device or resource busy): chain KUBE-SERVICES") == 2)
        #expect(IPTablesError.lineNumber(in: "iptables-restore v1.8.9 (legacy): unknown option \"--frob\"\nError occurred at line: 3\nTry `iptables-restore -h'") == 3)
        #expect(IPTablesError.lineNumber(in: "Couldn't load target `X':No such file or directory") == nil)
        let input = "*nat\n:KUBE-X - [0:0]\n-A KUBE-X -j NOPE\nCOMMIT\n"
        let error = IPTablesError(tool: "iptables-restore", status: .exited(2), message: "Chain 'NOPE' does not exist\nError occurred at line: 4\n", input: input)
        #expect(error.lineNumber == 4 && error.line == "COMMIT")
        #expect(error.reason.hasSuffix("line 4: COMMIT (the failing rule is in the nat table's section)"))
    }

    @Test func aMissingToolNamesItsPackage() {
        #expect(throws: IPTablesError(reason: "iptables-podnet-nonexistent-restore is not installed (Debian package iptables)")) {
            try IPTablesDriver.path(of: "iptables-podnet-nonexistent-restore")
        }
    }
}

extension KernelTests {
    @Suite struct IPTablesDriverTests {
        /// Applied to an empty namespace in one restore, the rendered ruleset reads back
        /// byte for byte as iptables-save prints it, with either backend, and a second
        /// diff is empty.
        @Test(arguments: [IPTablesVariant.nft, .legacy])
        func appliedRulesReadBackAsRendered(variant: IPTablesVariant) throws {
            try withScratchNamespaces(1) { names in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let desired = try IPTablesExample.ruleset()
                try IPTablesDriver.apply(IPTablesDiff.changes(live: IPTablesRuleset(), desired: desired), in: thread, variant: variant)
                let saved = try IPTablesDriver.save(in: thread, variant: variant)
                // Legacy lists the tables in the order the kernel registered them.
                #expect(IPTablesDump(iptablesSave: saved).tables == IPTablesExample.saveDump(desired).tables)
                if variant == .nft { #expect(IPTablesDump(iptablesSave: saved).text == IPTablesExample.saveText(desired)) }
                let live = try IPTablesDriver.read(in: thread, cluster: "lab", variant: variant)
                #expect(live == desired)
                #expect(IPTablesDiff.changes(live: live, desired: desired).isEmpty)
                // `iptables -t nat -L` shows what seed 003 §5 shows: the service chain
                // with its random picks, and a DNAT per endpoint.
                let listing = try thread.exec(Command(["iptables-\(variant.rawValue)", "-t", "nat", "-L", "-n"]), sysfs: .host).standardOutputText
                #expect(listing.contains("statistic mode random probability 0.50000000000"))
                #expect(listing.contains("to:10.200.1.2:8080"))
            }
        }

        /// A changed service and a user's own rules: the change is only that service's,
        /// the user's rules stay where they were, podnet's jumps come first.
        @Test func aChangeKeepsTheUsersRules() throws {
            try withScratchNamespaces(1) { names in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                let first = try IPTablesExample.ruleset()
                try IPTablesDriver.apply(IPTablesDiff.changes(live: IPTablesRuleset(), desired: first), in: thread)
                for rule in [["-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "2222", "-j", "DNAT", "--to-destination", "10.0.0.9:22"],
                             ["-t", "filter", "-I", "FORWARD", "-s", "192.0.2.1", "-j", "DROP"]] {
                    #expect(try thread.exec(Command(["iptables"] + rule), sysfs: .host).status == .exited(0))
                }
                let second = try IPTablesExample.ruleset(IPTablesExample.yaml.replacingOccurrences(of: "ip: 10.200.0.3 }", with: "ip: 10.200.0.3, labels: { app: web } }"))
                let live = try IPTablesDriver.read(in: thread, cluster: "lab")
                #expect(live == first, "the user's rules are not podnet's")
                let changes = IPTablesDiff.changes(live: live, desired: second)
                #expect(changes.count == 2, "a1's endpoint chain created, kube-svc-1's rewritten: \(changes)")
                try IPTablesDriver.apply(changes, in: thread)
                #expect(try IPTablesDriver.read(in: thread, cluster: "lab") == second)

                let dump = IPTablesDump(iptablesSave: try IPTablesDriver.save(in: thread))
                #expect(dump["nat"]?["PREROUTING"]?.rules == [
                    "-m comment --comment \"podnet:lab service portals\" -j KUBE-SERVICES",
                    "-p tcp -m tcp --dport 2222 -j DNAT --to-destination 10.0.0.9:22",
                ])
                #expect(dump["filter"]?["FORWARD"]?.rules.first == "-s 192.0.2.1/32 -j DROP", "a rule inserted above podnet's stays above")

                // Leaving iptables mode removes podnet's part only.
                try IPTablesDriver.apply(IPTablesDiff.changes(live: second, desired: IPTablesRuleset()), in: thread)
                let after = IPTablesDump(iptablesSave: try IPTablesDriver.save(in: thread))
                #expect(after["nat"]?["PREROUTING"]?.rules == ["-p tcp -m tcp --dport 2222 -j DNAT --to-destination 10.0.0.9:22"])
                #expect(after["filter"]?["FORWARD"]?.rules == ["-s 192.0.2.1/32 -j DROP"])
                #expect(after["nat"]!.chainNames.allSatisfy { !IPTablesRuleset.isOwnableChain($0) })
            }
        }

        /// iptables-restore's complaint comes with the input line it blames.
        @Test(arguments: [IPTablesVariant.nft, .legacy])
        func aRefusedRestoreNamesItsLine(variant: IPTablesVariant) throws {
            try withScratchNamespaces(1) { names in
                let thread = try NetnsThread(named: names[0])
                defer { thread.close() }
                do throws(IPTablesError) {
                    try IPTablesDriver.restore("*nat\n-D PREROUTING -d 10.9.9.9/32 -j ACCEPT\nCOMMIT\n", in: thread, variant: variant)
                    Issue.record("a rule that is not there was deleted")
                } catch {
                    #expect(error.lineNumber == 2 && error.line == "-D PREROUTING -d 10.9.9.9/32 -j ACCEPT", "\(error)")
                    #expect(error.description.contains("line 2: -D PREROUTING"), "\(error)")
                }
                do throws(IPTablesError) {
                    try IPTablesDriver.restore("*nat\n:KUBE-X - [0:0]\n-A KUBE-X -j KUBE-NOWHERE\nCOMMIT\n", in: thread, variant: variant)
                    Issue.record("a jump to a missing chain was accepted")
                } catch {
                    // legacy blames the rule, nft the COMMIT of its table.
                    #expect(error.lineNumber == 3 || error.line == "COMMIT", "\(error)")
                    #expect(error.description.contains("NOWHERE"), "\(error)")
                }
                #expect(try IPTablesDriver.read(in: thread, cluster: "lab", ownership: .wholeNamespace).isEmpty, "nothing of a failed table stays")
            }
        }
    }
}
