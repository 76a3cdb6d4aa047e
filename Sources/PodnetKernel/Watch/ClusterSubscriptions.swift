import PodnetNetlink

/// The notifications of every namespace of a cluster (`NamespaceSubscription`),
/// followed as namespaces come and go, each socket added to a `Readiness` as it is
/// opened and removed before it is closed.
public final class ClusterSubscriptions {
    public let directory: NetnsDirectory
    private let readiness: Readiness?
    private var named: [NetnsName: NamespaceSubscription] = [:]
    private var process: NamespaceSubscription?
    /// Each socket's descriptor, to the subscription holding it.
    private var byDescriptor: [FileDescriptor: NamespaceSubscription] = [:]
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    /// - Parameter readiness: where the sockets are waited on (nil: the caller waits on `descriptors`).
    public init(directory: NetnsDirectory = NetnsDirectory(), readiness: Readiness? = nil) {
        self.directory = directory
        self.readiness = readiness
    }

    deinit { buffer.deallocate() }

    /// How many namespaces are watched.
    public var count: Int { named.count + (process == nil ? 0 : 1) }

    /// Subscribes in the namespaces of `names` not yet watched, or whose name now binds
    /// another namespace than the one watched, and drops the subscriptions of the others
    /// (a name deleted: its namespace can then go). `processNamespace`: watch the
    /// process's own too (host mode: the node is the namespace podnet runs in).
    /// - Returns: how many subscriptions were made and dropped.
    @discardableResult
    public func follow(_ names: Set<NetnsName>, processNamespace: Bool) throws -> (added: Int, dropped: Int) {
        var dropped = 0
        for (name, subscription) in named {
            let bound = try? NetnsIdentity(path: directory.path(of: name))
            if !names.contains(name) || bound != subscription.identity {
                release(subscription)
                named[name] = nil
                dropped += 1
            }
        }
        if !processNamespace, let process {
            release(process)
            self.process = nil
            dropped += 1
        }
        var added = 0
        if processNamespace, process == nil {
            let subscription = try NamespaceSubscription.processNamespace()
            try register(subscription)
            process = subscription
            added += 1
        }
        let missing = names.filter { named[$0] == nil }.sorted()
        for (name, subscription) in zip(missing, try NamespaceSubscription.open(missing, in: directory)) {
            guard let subscription else { continue }
            try register(subscription)
            named[name] = subscription
            added += 1
        }
        return (added, dropped)
    }

    private func register(_ subscription: NamespaceSubscription) throws {
        for fd in subscription.descriptors {
            try readiness?.add(fd)
            byDescriptor[fd] = subscription
        }
    }

    private func release(_ subscription: NamespaceSubscription) {
        for fd in subscription.descriptors {
            readiness?.remove(fd)
            byDescriptor[fd] = nil
        }
    }

    /// Every socket's descriptor.
    public var descriptors: [FileDescriptor] { Array(byDescriptor.keys) }

    /// Whether `fd` is one of the sockets.
    public func holds(_ fd: FileDescriptor) -> Bool { byDescriptor[fd] != nil }

    /// Reads every queued notification of the namespaces whose sockets are among
    /// `ready` (nil: of every namespace) without waiting: true if one can mean drift.
    public func drain(_ ready: [FileDescriptor]? = nil) throws(SystemCallError) -> Bool {
        var drift = false
        let subscriptions: [NamespaceSubscription]
        if let ready {
            var seen: Set<ObjectIdentifier> = []
            subscriptions = ready.compactMap { byDescriptor[$0] }.filter { seen.insert(ObjectIdentifier($0)).inserted }
        } else {
            subscriptions = (process.map { [$0] } ?? []) + Array(named.values)
        }
        for subscription in subscriptions where try subscription.drain(buffer: buffer) { drift = true }
        return drift
    }
}
