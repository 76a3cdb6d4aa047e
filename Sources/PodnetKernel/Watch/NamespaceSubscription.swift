import PodnetNetlink

/// The notifications of one network namespace that can tell of drift: a route
/// socket in the groups of links, addresses, routes and neighbours, and a netfilter
/// socket in nf_tables'. Both were opened inside the namespace and stay bound to it
/// (and keep it alive: close the subscription of a namespace whose name is deleted,
/// or the kernel cannot free it and the links in it).
public final class NamespaceSubscription {
    /// The namespace's name under /run/netns; nil for the process's own namespace.
    public let name: NetnsName?
    public let identity: NetnsIdentity
    let route: KernelNetlinkSocket
    let netfilter: KernelNetlinkSocket

    /// The route socket's queue: a burst of notifications (a namespace deleted with
    /// all its links and routes) must not overflow it, and when one does, the overrun
    /// itself says "something changed".
    static let receiveQueueSize = 1 << 20

    /// Opens both sockets in the calling thread's namespace.
    init(name: NetnsName?) throws {
        self.name = name
        identity = try NetnsIdentity.ofCallingThread()
        route = try KernelNetlinkSocket(bus: .route, receiveQueueSize: Self.receiveQueueSize)
        for group in NetlinkMulticastGroup.routeObjects { try route.join(group) }
        netfilter = try KernelNetlinkSocket(bus: .netfilter, receiveQueueSize: Self.receiveQueueSize)
        try netfilter.join(.nftables)
    }

    /// Subscribes in the process's own namespace, from the calling thread (host mode).
    public static func processNamespace() throws -> NamespaceSubscription {
        guard try NetnsIdentity.ofCallingThread() == NetnsIdentity.ofProcess() else {
            throw NetnsError.system("cannot subscribe in the process's namespace from a thread outside it", .invalidArgument)
        }
        return try NamespaceSubscription(name: nil)
    }

    /// Subscribes in each named namespace, from threads that enter them (the caller's
    /// never does). A name gone meanwhile gives nil.
    public static func open(_ names: [NetnsName], in directory: NetnsDirectory = NetnsDirectory()) throws -> [NamespaceSubscription?] {
        try NamespaceTour.visitConcurrently(names, in: directory, threads: 2) { name in
            try UncheckedSendable(NamespaceSubscription(name: name))
        }.map { try $0.get()?.value }
    }

    var descriptors: [FileDescriptor] {
        [FileDescriptor(rawValue: route.fileDescriptor), FileDescriptor(rawValue: netfilter.fileDescriptor)]
    }

    /// Reads every queued notification without waiting: true if one of them (or an
    /// overrun, which may have dropped any) can mean drift (`ChangeNotification`).
    func drain(buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Bool {
        var drift = false
        for socket in [route, netfilter] {
            while true {
                switch try socket.receiveIfQueued(into: buffer) {
                case .nothing:
                    break
                case .overrun:
                    drift = true
                    continue
                case .datagram(let count):
                    if !drift {
                        drift = ChangeNotification.mayBeDrift(Array(UnsafeRawBufferPointer(rebasing: buffer[..<count]))[...])
                    }
                    continue
                }
                break
            }
        }
        return drift
    }
}

/// Hands a value that is only ever used by one thread at a time across the tour.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
