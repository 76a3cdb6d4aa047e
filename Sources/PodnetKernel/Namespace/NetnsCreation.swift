import Glibc
import Synchronization

extension NetnsDirectory {
    /// Creates a new, empty network namespace bound to `name`, exactly as `ip netns add`
    /// does, so that `ip netns exec NAME …` works on it and `ip netns del` removes it.
    public func add(_ name: NetnsName) throws(NetnsError) {
        do {
            try add([name], threads: 1)
        } catch {
            throw error.error
        }
    }

    /// Creates many namespaces at once, each as `add(_:)` makes one, on `threads`
    /// threads. What is the same for every namespace is done once: making the
    /// directory a shared mount, and finding where the bind mounts go (reading
    /// /proc/self/mountinfo, which grows by a line per namespace: once per namespace,
    /// that read was 58% of a cold apply of 1,041 namespaces). Each thread then makes
    /// namespace after namespace: a thread may unshare its network namespace any
    /// number of times, and each new one lives on in its bind mount.
    ///
    /// Stops at the first failure, which names the position in `names` it happened
    /// at; namespaces made by then stay (as after an interrupted run of `add`).
    public func add(_ names: [NetnsName], threads: Int) throws(NetnsCreationFailure) {
        guard !names.isEmpty else { return }
        do {
            try prepareSharedMount()
        } catch {
            throw NetnsCreationFailure(index: 0, error: error)
        }
        let mountNamespace = HostMountNamespace.invokerIfSlave(directory: path)
        let next = Atomic<Int>(0)
        let failures = Mutex<[NetnsCreationFailure]>([])
        var workers: [JoinableThread] = []
        for worker in 0..<max(1, min(threads, names.count)) {
            do throws(Errno) {
                workers.append(try JoinableThread(name: "netns-add \(worker)") {
                    let failure = createNamespaces(names, taking: next, mountNamespace: mountNamespace)
                    if let failure { failures.withLock { $0.append(failure) } }
                })
            } catch {
                failures.withLock { $0.append(NetnsCreationFailure(index: 0, error: .system("cannot start a thread", error))) }
                next.store(names.count, ordering: .relaxed)   // the workers started stop
                break
            }
        }
        for worker in workers { worker.join() }
        if let first = failures.withLock({ $0.min { $0.index < $1.index } }) { throw first }
    }

    /// One worker's loop: it moves into the invoker's mount namespace if it must (see
    /// HostMountNamespace), then takes the next name until none is left or one fails.
    /// unshare(CLONE_NEWNET) changes the calling thread for good, which is why this
    /// runs on a thread of its own that ends afterwards.
    private func createNamespaces(_ names: [NetnsName], taking next: borrowing Atomic<Int>,
                                  mountNamespace: String?) -> NetnsCreationFailure? {
        if let mountNamespace {
            do throws(Errno) {
                try HostMountNamespace.enter(mountNamespace)
            } catch {
                next.store(names.count, ordering: .relaxed)
                return NetnsCreationFailure(index: 0, error: .system("cannot enter the host's mount namespace (\(mountNamespace))", error))
            }
        }
        let source = "/proc/self/task/\(Syscall.gettid())/ns/net"
        while true {
            let index = next.add(1, ordering: .relaxed).oldValue
            guard index < names.count else { return nil }
            do throws(NetnsError) {
                try create(names[index], bindingFrom: source)
            } catch {
                next.store(names.count, ordering: .relaxed)   // the other workers stop too
                return NetnsCreationFailure(index: index, error: error)
            }
        }
    }

    private func create(_ name: NetnsName, bindingFrom source: String) throws(NetnsError) {
        let file = path(of: name)
        // The mount point; O_EXCL makes the name ours, or tells us it is taken.
        do {
            Syscall.close(try Syscall.open(file, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0))
        } catch .exists {
            throw .alreadyExists(name)
        } catch {
            throw .system("cannot create \(file)", error)
        }
        do throws(Errno) {
            try Syscall.unshare(Syscall.cloneNewNet)
        } catch {
            try? Syscall.unlink(file)
            throw .system("cannot create a network namespace (unshare)", error)
        }
        do throws(Errno) {
            try Syscall.mount(source: source, target: file, type: "none", flags: MS_BIND)
        } catch {
            try? Syscall.unlink(file)
            throw .system("cannot bind \(source) onto \(file)", error)
        }
    }

    /// Makes the directory a shared mount point, so that unmounting a name in one mount
    /// namespace unmounts it in all of them (`ip netns exec` children, containers) and
    /// the namespace is freed. Done under iproute2's lock on the directory: concurrent
    /// `ip netns add` runs could otherwise stack bind mounts (Debian bug 949235).
    func prepareSharedMount() throws(NetnsError) {
        do {
            try Syscall.mkdir(path, mode: 0o755)
        } catch .exists {
        } catch {
            throw .system("cannot create \(path)", error)
        }
        let lock: FileDescriptor
        do {
            lock = try Syscall.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        } catch {
            throw .system("cannot open \(path)", error)
        }
        defer { Syscall.close(lock) }  // closing releases the lock
        // As iproute2 does, carry on without the lock if flock itself fails.
        try? Syscall.flock(lock, LOCK_EX)

        var madeMountPoint = false
        while true {
            do {
                try Syscall.mount(source: "", target: path, type: "none", flags: MS_SHARED | MS_REC)
                return
            } catch .invalidArgument where !madeMountPoint {
                // Not a mount point yet: make it one by binding it onto itself, then
                // private so that it becomes shared in a peer group of its own.
                do {
                    try Syscall.mount(source: path, target: path, type: "none", flags: MS_BIND | MS_REC)
                    try Syscall.mount(source: path, target: path, type: "none", flags: MS_PRIVATE | MS_REC)
                } catch {
                    throw .system("cannot make \(path) a mount point (mount --bind \(path) \(path))", error)
                }
                madeMountPoint = true
            } catch {
                throw .system("cannot make \(path) a shared mount (mount --make-shared \(path))", error)
            }
        }
    }
}

/// A namespace `add(_:threads:)` could not make: its position in the names given,
/// and why.
public struct NetnsCreationFailure: Error, Sendable, CustomStringConvertible {
    public let index: Int
    public let error: NetnsError

    public var description: String { error.description }
}
