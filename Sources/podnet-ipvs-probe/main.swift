// podnet-ipvs-probe: a test-only driver for proxy.mode ipvs, until the lead wires
// the IPVS stages into `podnet apply/diff/destroy`. The full-kernel lane's guest
// test (scripts/kernel-lane/tests/ipvs.sh) runs it; this machine's kernel has no
// IPVS, so here it can only refuse.
//
//   podnet-ipvs-probe check                 what ipvs mode needs that the kernel lacks
//   podnet-ipvs-probe diff FILE             the plan: kernel objects (ip commands) and IPVS (ipvsadm)
//   podnet-ipvs-probe apply FILE            refuse unless the kernel has it all; else build the lab
//                                           (podnet's own planner and executor) with the IPVS
//                                           objects (kube-ipvs0, sysctls, the nft table of hairpin
//                                           masquerade and rejects), then the IPVS services;
//                                           then read back and verify nothing differs
//   podnet-ipvs-probe show FILE             every node's IPVS services, as podnet reads them
//   podnet-ipvs-probe destroy-ipvs FILE     delete every IPVS service podnet owns, and the nft table
//
// Exit status: 0 done (diff: nothing to do), 2 diff found changes, 1 an error.
import Foundation
import PodnetAddress
import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import PodnetRender
import PodnetTopology



func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("podnet-ipvs-probe: error: \(message)\n".utf8))
    exit(1)
}

/// The topology, its desired kernel state with every node's IPVS objects, and the
/// desired IPVS services and hairpin entries per node namespace.
struct Desired {
    let topology: Topology
    let state: KernelState
    /// `state` less kube-ipvs0 and its addresses: see `apply`.
    let withoutDummy: KernelState
    let services: [NamespaceRef: [IPVSService]]

    init(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
        let result = TopologyLoader.load(text: text, file: path)
        guard let topology = result.topology else {
            fail(result.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.message)" }.joined(separator: "\n"))
        }
        guard topology.proxy.mode == .ipvs else { fail("\(path): proxy.mode is \(topology.proxy.mode.rawValue), not ipvs") }
        self.topology = topology
        var state = LabRenderer(topology: topology).render()
        var withoutDummy = state
        var services: [NamespaceRef: [IPVSService]] = [:]
        let renderer = IPVSProxyRenderer(topology: topology)
        for node in topology.nodes {
            let namespace = NamespaceRef.named(KernelNames.namespace(cluster: topology.name, member: node.name))
            let objects = renderer.objects(forNode: node, in: namespace)
            objects.insert(into: &state)
            for sysctl in objects.sysctls { withoutDummy.insert(sysctl) }
            if let table = objects.nftTable(cluster: topology.name, in: namespace) {
                state.insert(table)
                withoutDummy.insert(table)
            }
            services[namespace] = objects.services
        }
        self.state = state
        self.withoutDummy = withoutDummy
        self.services = services
    }

    var serviceCIDR: IPv4Prefix { topology.serviceCIDR ?? IPv4Prefix("255.255.255.255/32")! }
    var nodeNamespaces: [NamespaceRef] { services.keys.sorted() }
    var nftTable: String { "podnet-\(topology.name)" }

    func live() -> KernelState {
        do {
            return try LiveStateReader(sysctlKeys: Set(state.sysctls.keys.map(\.key)).sorted()).read(cluster: topology.name)
        } catch {
            fail("cannot read cluster \(topology.name): \(error)")
        }
    }

    func plan(live: KernelState, desired: KernelState? = nil) -> Plan {
        do {
            return try Planner(cluster: topology.name).plan(desired: desired ?? state, live: live)
        } catch {
            fail("\(error)")
        }
    }

    /// The IPVS changes per node namespace; a namespace that does not exist yet has none live.
    func ipvsChanges(live: KernelState) -> [(NamespaceRef, [IPVSChange])] {
        let existing = nodeNamespaces.filter { if case .named(let name) = $0 { return live.namespaces[name] != nil } else { return true } }
        let drivers = openDrivers(existing)
        return nodeNamespaces.map { namespace in
            let current = drivers[namespace].map { driver in
                (try? driver.services(ownedIn: serviceCIDR)) ?? []
            } ?? []
            return (namespace, IPVSDiff.changes(live: current, desired: services[namespace] ?? []))
        }
    }

    func openDrivers(_ namespaces: [NamespaceRef]) -> [NamespaceRef: IPVSDriver] {
        do {
            return Dictionary(uniqueKeysWithValues: try IPVSDriver.open(namespaces).map { ($0.namespace, $0) })
        } catch {
            fail("\(error)")
        }
    }
}

func check(bridgeNetfilter: Bool = true) -> [String] {
    var problems: [String] = []
    do {
        problems += try KernelFeatures.missingLinkKinds(["dummy"]).map(\.description)
        problems += try KernelFeatures.missingIPVSFeatures(scheduler: IPVSService.roundRobin, bridgeNetfilter: bridgeNetfilter).map(\.description)
    } catch {
        fail("cannot probe the kernel: \(error)")
    }
    return problems
}

func printPlan(_ plan: Plan, _ ipvs: [(NamespaceRef, [IPVSChange])]) {
    for planned in plan.operations {
        for command in CommandRenderer.commands(for: planned.operation) { print("  \(command)    # \(planned.reason)") }
    }
    for (_, changes) in ipvs {
        for command in IPVSCommandRenderer.commands(for: changes) { print("  \(command)") }
    }
}

let arguments = CommandLine.arguments.dropFirst()
switch (arguments.first, arguments.count) {
case ("check", 1):
    let problems = check()
    if problems.isEmpty {
        print("ok: dummy links, IPVS, scheduler rr, IPVS conntrack, br_netfilter")
    } else {
        for problem in problems { print("missing: \(problem)") }
        exit(1)
    }

case ("diff", 2):
    let desired = Desired(path: arguments.last!)
    let live = desired.live()
    let plan = desired.plan(live: live)
    let ipvs = desired.ipvsChanges(live: live)
    let count = plan.operations.count + ipvs.map(\.1.count).reduce(0, +)
    print("\(plan.operations.count) kernel operations, \(ipvs.map(\.1.count).reduce(0, +)) IPVS changes")
    printPlan(plan, ipvs)
    exit(count == 0 ? 0 : 2)

case ("apply", 2):
    let desired = Desired(path: arguments.last!)
    // Refuse before changing anything.
    let problems = check(bridgeNetfilter: desired.topology.nodes.contains { $0.bridge != nil })
    guard problems.isEmpty else {
        fail("cluster '\(desired.topology.name)': proxy.mode ipvs cannot work on this kernel; nothing was changed:\n  "
             + problems.joined(separator: "\n  "))
    }
    let start = Date()
    // Two plans: the lab first, then kube-ipvs0 with its addresses. In one plan the
    // executor's own choice of veth ifindexes (main, a726af7) can take the number the
    // kernel gives the dummy created in the same layer: EBUSY (found in the lane).
    let first = desired.plan(live: desired.live(), desired: desired.withoutDummy)
    let second = desired.plan(live: PlanSimulator.apply(first, to: desired.live()))
    let plan = Plan(operations: first.operations + second.operations)
    do {
        try PlanExecutor().execute(first)
        try PlanExecutor().execute(desired.plan(live: desired.live()))
    } catch {
        fail("\(error.operation): \(error.reason)")
    }
    let live = desired.live()
    let ipvs = desired.ipvsChanges(live: live)
    print("\(plan.operations.count) kernel operations, \(ipvs.map(\.1.count).reduce(0, +)) IPVS changes")
    printPlan(plan, ipvs)
    let drivers = desired.openDrivers(desired.nodeNamespaces)
    for (namespace, changes) in ipvs {
        do { try drivers[namespace]!.apply(changes) } catch { fail("\(error)") }
    }
    let elapsed = String(format: "%.2f", Date().timeIntervalSince(start))
    // Verify as podnet apply does: read again, nothing may differ.
    let after = desired.live()
    let remaining = desired.plan(live: after).operations.count + desired.ipvsChanges(live: after).map(\.1.count).reduce(0, +)
    guard remaining == 0 else {
        printPlan(desired.plan(live: after), desired.ipvsChanges(live: after))
        fail("after applying, \(remaining) differences remain")
    }
    print("applied and verified in \(elapsed) s")

case ("show", 2):
    let desired = Desired(path: arguments.last!)
    for (namespace, driver) in desired.openDrivers(desired.nodeNamespaces).sorted(by: { $0.key < $1.key }) {
        print("\(namespace):")
        do {
            for service in try driver.services() {
                print("  \(service.id) \(service.scheduler)\(service.isOwned(serviceCIDR: desired.serviceCIDR) ? "" : " (not podnet's)")")
                for destination in service.destinations {
                    print("    -> \(destination.id) \(destination.forwarding == .masquerade ? "Masq" : "\(destination.forwarding)") \(destination.weight)")
                }
            }
        } catch {
            fail("\(error)")
        }
    }

case ("destroy-ipvs", 2):
    let desired = Desired(path: arguments.last!)
    for (namespace, driver) in desired.openDrivers(desired.nodeNamespaces).sorted(by: { $0.key < $1.key }) {
        do {
            let removed = try driver.removeOwned(serviceCIDR: desired.serviceCIDR)
            print("\(namespace): deleted \(removed.count) IPVS services\(removed.isEmpty ? "" : ": " + removed.map(\.description).joined(separator: ", "))")
        } catch {
            fail("\(error)")
        }
        if case .named(let name) = namespace {
            _ = try? NetnsThread(named: NetnsName(name)).exec(Command(["nft", "delete", "table", "ip", desired.nftTable]))
        }
    }

default:
    FileHandle.standardError.write(Data("usage: podnet-ipvs-probe check | diff FILE | apply FILE | show FILE | destroy-ipvs FILE\n".utf8))
    exit(64)
}
