// podnet-bench: kernel-access figures against iproute2, measured in one run.
//
//   (a) reading 500 namespaces (lo, one veth, one address, two routes each) with
//       podnet's live-state reader, against `ip -n NS -j link/addr/route show` per namespace;
//   (b) creating 500 veth pairs whose peers are born in those namespaces, with one
//       pipelined netlink batch, against `ip -batch` doing the same.
//
// Run as root: `swift run -c release podnet-bench [COUNT]` (or `podnet-bench nftables`,
// see NFTablesBench.swift, `podnet-bench netpol`, see NetworkPolicyBench.swift, or `podnet-bench iptables`, see IPTablesBench.swift). Every namespace it makes
// is named pnbench.* and removed at the end, also on failure.
import Foundation
import PodnetAddress
import PodnetKernel
import PodnetNetlink

// `podnet-bench nftables [SERVICES] [ENDPOINTS]`: see NFTablesBench.swift.
if CommandLine.arguments.dropFirst().first == "nftables" {
    try NFTablesBench.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
// `podnet-bench netpol [PODS] [NAMESPACES] [POLICIES]`: see NetworkPolicyBench.swift.
if CommandLine.arguments.dropFirst().first == "netpol" {
    try NetworkPolicyBench.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}
// `podnet-bench iptables [SERVICES] [ENDPOINTS] [RUNS]`: see IPTablesBench.swift.
if CommandLine.arguments.dropFirst().first == "iptables" {
    try IPTablesBench.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}

let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 500
let cluster = "pnbench"
let directory = NetnsDirectory()
let hubName = try NetnsName("\(cluster).hub")
let names = try (0..<count).map { try NetnsName("\(cluster).ns\($0)") }

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

@discardableResult
func sh(_ command: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.standardOutput = FileHandle.nullDevice
    try? process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

func cleanUp() {
    for name in [hubName] + names { try? directory.delete(name) }
}
cleanUp()
defer { cleanUp() }

func require(_ result: BatchResult, _ what: String) {
    if let failure = result.firstFailure {
        FileHandle.standardError.write(Data("podnet-bench: \(what) failed at \(failure.index): \(failure.error)\n".utf8))
        cleanUp()
        exit(1)
    }
}

// Setup (not timed): namespaces, each with lo up and marked, one veth end (its peer in
// the hub), an address, and a default route plus one more.
try directory.add(hubName)
for name in names { try directory.add(name) }
let hub = try directory.open(hubName)
let handles = try names.map { try directory.open($0) }
let hubConnection = NetlinkConnection(socket: try NamespaceSockets.open(in: [hub])[0])
let sockets = try NamespaceSockets.open(in: handles)
var pairs: [NetlinkRequest] = []
for (index, handle) in handles.enumerated() {
    var peer = LinkMessage(name: "eth0")
    peer.namespaceFD = handle.fileDescriptor.rawValue
    var link = LinkMessage(name: "h\(index)", info: .veth(peer: peer))
    link.setUp(true)
    pairs.append(.addLink(link))
}
require(try hubConnection.executeBatch(pairs), "setup veths")
for (index, socket) in sockets.enumerated() {
    let connection = NetlinkConnection(socket: socket)
    var lo = LinkMessage(name: "lo")
    lo.setUp(true)
    lo.alias = "podnet:\(cluster):bench/\(index)"
    var eth0 = LinkMessage(name: "eth0")
    eth0.setUp(true)
    require(try connection.executeBatch([.setLink(lo), .setLink(eth0)]), "setup links")
    guard let eth0Index = try connection.link(named: "eth0")?.index else { exit(1) }
    let host = IPv4Address(UInt32(0x0A00_0002) + UInt32(index) * 4)
    require(try connection.executeBatch([
        .addAddress(AddressMessage(index: eth0Index, prefix: .v4(IPv4Prefix(address: host, length: 30)))),
        .addRoute(RouteMessage(destination: IPPrefix("0.0.0.0/0")!, gateway: host.advanced(by: -1).map(IPAddress.v4), outputInterface: eth0Index)),
        .addRoute(RouteMessage(destination: IPPrefix("172.16.0.0/12")!, gateway: host.advanced(by: -1).map(IPAddress.v4), outputInterface: eth0Index)),
    ]), "setup addresses and routes")
}
withExtendedLifetime(sockets) {}

// (a) Reading.
let reader = LiveStateReader()
var podnetRead: [Double] = []
for _ in 0..<5 {
    let start = now()
    let state = try reader.read(cluster: cluster)
    podnetRead.append(now() - start)
    precondition(state.namespaces.count == count, "read \(state.namespaces.count) namespaces")
}
let ipLoop = names.map { "ip -n \($0.rawValue) -j link show; ip -n \($0.rawValue) -j addr show; ip -n \($0.rawValue) -j route show" }
    .joined(separator: "\n")
var ipRead: [Double] = []
for _ in 0..<3 {
    let start = now()
    sh(ipLoop)
    ipRead.append(now() - start)
}

// (b) Creating veth pairs, peers born in the namespaces (eth1 there).
func deleteCreated() { sh("ip -n \(hubName.rawValue) -batch - <<'EOF'\n" + (0..<count).map { "link del c\($0)" }.joined(separator: "\n") + "\nEOF") }
var podnetCreate: [Double] = []
var ipCreate: [Double] = []
let batchFile = FileManager.default.temporaryDirectory.appendingPathComponent("pnbench-\(getpid()).batch")
try names.enumerated().map { "link add c\($0.offset) type veth peer name eth1 netns \($0.element.rawValue)" }
    .joined(separator: "\n").write(to: batchFile, atomically: true, encoding: .utf8)
defer { try? FileManager.default.removeItem(at: batchFile) }
for _ in 0..<3 {
    var requests: [NetlinkRequest] = []
    for (index, handle) in handles.enumerated() {
        var peer = LinkMessage(name: "eth1")
        peer.namespaceFD = handle.fileDescriptor.rawValue
        requests.append(.addLink(LinkMessage(name: "c\(index)", info: .veth(peer: peer))))
    }
    var start = now()
    require(try hubConnection.executeBatch(requests), "create")
    podnetCreate.append(now() - start)
    deleteCreated()
    start = now()
    let status = sh("ip -n \(hubName.rawValue) -batch \(batchFile.path)")
    ipCreate.append(now() - start)
    precondition(status == 0, "ip -batch failed")
    deleteCreated()
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
let readRatio = median(ipRead) / median(podnetRead)
let createRatio = median(podnetCreate) / median(ipCreate)
print("""
podnet-bench: \(count) namespaces (lo, one veth, one address, two routes each)
(a) read state:   podnet \(ms(median(podnetRead)))   ip -n NS -j link/addr/route loop \(ms(median(ipRead)))   → podnet \(String(format: "%.0f", readRatio))× faster (goal ≥ 20×)
(b) create veths: podnet \(ms(median(podnetCreate)))   ip -batch \(ms(median(ipCreate)))   → podnet/ip = \(String(format: "%.2f", createRatio)) (goal ≤ 1.2)
medians of \(podnetRead.count)/\(ipRead.count) runs (read) and \(podnetCreate.count)/\(ipCreate.count) runs (create)
""")
