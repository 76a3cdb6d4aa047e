import PodnetNetlink

/// The notifications of every namespace of a cluster (`NamespaceSubscription`),
/// followed as namespaces come and go.
public final class ClusterSubscriptions {
    public let directory: NetnsDirectory
    private var named: [NetnsName: NamespaceSubscription] = [:]
    private var process: NamespaceSubscription?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    public init(directory: NetnsDirectory = NetnsDirectory()) {
        self.directory = directory
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
                named[name] = nil
                dropped += 1
            }
        }
        if !processNamespace, process != nil { process = nil; dropped += 1 }
        var added = 0
        if processNamespace, process == nil {
            process = try NamespaceSubscription.processNamespace()
            added += 1
        }
        let missing = names.filter { named[$0] == nil }.sorted()
        for (name, subscription) in zip(missing, try NamespaceSubscription.open(missing, in: directory)) {
            guard let subscription else { continue }
            named[name] = subscription
            added += 1
        }
        return (added, dropped)
    }

    /// Every socket's descriptor, to wait on.
    public var descriptors: [FileDescriptor] {
        (process.map { [$0] } ?? []).flatMap(\.descriptors) + named.values.flatMap(\.descriptors)
    }

    /// Reads every queued notification of every namespace without waiting: true if
    /// one can mean drift.
    public func drain() throws(SystemCallError) -> Bool {
        var drift = false
        let subscriptions = (process.map { [$0] } ?? []) + Array(named.values)
        for subscription in subscriptions where try subscription.drain(buffer: buffer) { drift = true }
        return drift
    }
}
