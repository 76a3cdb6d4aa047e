import Glibc
import PodnetAddress
import PodnetKernelModel
import PodnetNetlink
import PodnetPlan

/// A real packet, traced by the kernel (`trace --live`): in each namespace of its
/// path a table of podnet's sets the nftrace mark on the probe's packets (matched by
/// the probe's source port, in either direction, so the reply is marked too), a
/// socket joined to NFNLGRP_NFTRACE hears every rule they meet, and one connection
/// attempt (TCP) or datagram (UDP) is sent from the source's namespace. The tables go
/// again however this ends. What a rule or a policy decided, per namespace, in the
/// order the kernel reported it.
///
/// The mark does not cross namespaces (a veth pair scrubs it), hence a table in each.
/// The table is not named `podnet-…`: it is no cluster's, and lives only as long as
/// the probe.
public enum NFTraceProbe {
    public struct Flow: Sendable, Equatable {
        public var destination: IPAddress
        /// IPPROTO_TCP or IPPROTO_UDP.
        public var `protocol`: UInt8
        public var sourcePort: UInt16
        public var destinationPort: UInt16

        public init(destination: IPAddress, protocol: UInt8, sourcePort: UInt16, destinationPort: UInt16) {
            self.destination = destination
            self.protocol = `protocol`
            self.sourcePort = sourcePort
            self.destinationPort = destinationPort
        }
    }

    public struct Observed: Sendable, Equatable {
        public var namespace: NamespaceRef
        public var event: NFTraceEvent
    }

    /// The probe's own table.
    public static let tableName = "trace-by-podnet"

    public static func run(_ flow: Flow, from source: NetnsName, watching namespaces: [NetnsName],
                           waitMilliseconds: Int = 300) throws -> [Observed] {
        let directory = NetnsDirectory()
        let handles = try namespaces.map { try directory.open($0) }
        let sockets = try NamespaceSockets.open(in: handles, bus: .netfilter)
        let listeners = try NamespaceSockets.open(in: handles, bus: .netfilter)
        for listener in listeners { try listener.join(.nftablesTrace) }
        var marked: [(NFTablesDriver, NFTable.ID)] = []
        defer {
            for (driver, id) in marked { try? driver.apply([.deleteTable(id)]) }
        }
        for (name, socket) in zip(namespaces, sockets) {
            let table = markingTable(for: flow, in: .named(name.rawValue))
            let driver = NFTablesDriver(connection: NetlinkConnection(socket: socket))
            try driver.apply(NFTablesDiff.changes(live: nil, desired: table))
            marked.append((driver, table.id))
        }
        try send(flow, from: directory.open(source))
        var observed: [Observed] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        // The events come as the packets go, within microseconds on one machine; the
        // wait covers a reply's way back.
        var waited = 0
        while waited < waitMilliseconds {
            usleep(20_000)
            waited += 20
            for (name, listener) in zip(namespaces, listeners) {
                while true {
                    let arrival = try buffer.withUnsafeMutableBytes { try listener.receiveIfQueued(into: $0) }
                    guard case .datagram(let count) = arrival else { break }
                    for event in try NFTraceEvent.events(in: buffer[..<count]) where event.table != tableName {
                        observed.append(Observed(namespace: .named(name.rawValue), event: event))
                    }
                }
            }
        }
        return observed
    }

    /// `table inet trace-by-podnet { chain prerouting/output { type filter hook …
    /// priority -400; meta l4proto P th sport|dport SPORT meta nftrace set 1 } }`:
    /// before conntrack (-200), NAT and every filter, so each of their rules is traced.
    static func markingTable(for flow: Flow, in namespace: NamespaceRef) -> NFTable {
        let id = NFTable.ID(namespace: namespace, family: .inet, name: tableName)
        let port = NFTValue.inetService(flow.sourcePort).bytes
        let mark: [NFTExpression] = [.immediate(register: NFTRegister.first, data: .value([1])),
                                     .metaSet(NFTMetaKey(rawValue: 12), from: NFTRegister.first)]
        let rules = [0, 2].map { offset in
            NFTRule(NFTExpression.layer4Protocol(equals: flow.protocol)
                    + [.payload(NFTPayload(base: .transport, offset: UInt32(offset), length: 2)), .compare(NFTComparison(.equal, port))]
                    + mark)
        }
        return NFTable(id: id, comment: "podnet trace: marks one probe for nftrace; removed when it ends", chains: [
            NFTChain(name: "prerouting", base: NFTBaseChain(type: .filter, hook: .prerouting, priority: -400), rules: rules),
            NFTChain(name: "output", base: NFTBaseChain(type: .filter, hook: .output, priority: -400), rules: rules),
        ])
    }

    /// One SYN (TCP; the socket is closed before any answer could complete it) or one
    /// datagram (UDP), from the probe's source port, inside `namespace`.
    static func send(_ flow: Flow, from namespace: NetnsHandle) throws {
        let thread = try NetnsThread(namespace, label: "podnet trace probe")
        try thread.run {
            let family = flow.destination.family
            let socket = try Syscall.socket(flow.protocol == 17 ? .datagram : .stream, family: family)
            defer { Syscall.close(socket) }
            try Syscall.setOption(socket, level: SOL_SOCKET, name: SO_REUSEADDR, CInt(1))
            try Syscall.bind(socket, .any(port: flow.sourcePort, family: family))
            let destination = SocketAddress(flow.destination, port: flow.destinationPort)
            if flow.protocol == 17 {
                _ = try Syscall.send(socket, Array("podnet trace".utf8), to: destination)
            } else {
                do { try Syscall.connect(socket, destination) } catch let error as Errno where error == Errno.inProgress {}
                // Long enough for the SYN and its answer to pass, well within a retransmission.
                usleep(100_000)
            }
        }
    }
}
