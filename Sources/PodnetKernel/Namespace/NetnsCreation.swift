import Glibc

extension NetnsDirectory {
    /// Creates a new, empty network namespace bound to `name`, exactly as `ip netns add`
    /// does, so that `ip netns exec NAME …` works on it and `ip netns del` removes it.
    public func add(_ name: NetnsName) throws(NetnsError) {
        try prepareSharedMount()
        let file = path(of: name)
        // The mount point; O_EXCL makes the name ours, or tells us it is taken.
        do {
            Syscall.close(try Syscall.open(file, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0))
        } catch .exists {
            throw .alreadyExists(name)
        } catch {
            throw .system("cannot create \(file)", error)
        }
        do {
            try bindNewNamespace(onto: file)
        } catch {
            try? Syscall.unlink(file)
            throw error
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

    /// unshare(CLONE_NEWNET) changes the calling thread for good, so it happens on a
    /// thread of its own that binds its new namespace onto `file` and then ends.
    private func bindNewNamespace(onto file: String) throws(NetnsError) {
        let outcome = Handoff<NetnsError?>()
        let thread: JoinableThread
        do throws(Errno) {
            thread = try JoinableThread(name: "netns-add") {
                do throws(Errno) {
                    try Syscall.unshare(Syscall.cloneNewNet)
                } catch {
                    return outcome.put(.system("cannot create a network namespace (unshare)", error))
                }
                let source = "/proc/self/task/\(Syscall.gettid())/ns/net"
                do throws(Errno) {
                    try HostMountNamespace.enterIfElsewhere()
                } catch {
                    return outcome.put(.system("cannot enter the host's mount namespace (/proc/1/ns/mnt)", error))
                }
                do throws(Errno) {
                    try Syscall.mount(source: source, target: file, type: "none", flags: MS_BIND)
                    outcome.put(nil)
                } catch {
                    outcome.put(.system("cannot bind \(source) onto \(file)", error))
                }
            }
        } catch {
            throw .system("cannot start a thread", error)
        }
        thread.join()
        if let error = outcome.take() { throw error }
    }
}
