import Glibc

/// Where the bind mount of a new named namespace must be made.
///
/// `ip netns exec HOST podnet …` runs podnet in a mount namespace of its own, in
/// which /run/netns is a slave of the invoker's: a namespace bound onto
/// /run/netns/NAME there is seen by nobody else and freed when the command exits,
/// taking its pods with it. So when /run/netns is such a slave, the thread making
/// the mount first leaves the filesystem context it shares with the process
/// (CLONE_FS: setns to a mount namespace requires it) and enters the mount
/// namespace of the nearest ancestor process that is in another one (the shell
/// that ran `ip netns exec`): the mount is then that namespace's, and propagates
/// back into the slave. The file itself lives on the shared /run either way.
enum HostMountNamespace {
    /// The invoker's mount namespace (/proc/PID/ns/mnt) when `directory` here is a
    /// slave of it, where the bind mounts must then be made; nil when they can be
    /// made where podnet is.
    static func invokerIfSlave(directory: String = "/run/netns") -> String? {
        guard isSlaveMount(directory) else { return nil }
        return invokerMountNamespace()
    }

    /// Moves the calling thread, which must be a dedicated one about to end, into the
    /// mount namespace at `path` (from `invokerIfSlave`).
    static func enter(_ path: String) throws(Errno) {
        try Syscall.unshare(Syscall.cloneFS)
        let target = try Syscall.open(path, O_RDONLY | O_CLOEXEC)
        defer { Syscall.close(target) }
        try Syscall.setns(target, Syscall.cloneNewNs)
    }

    /// Whether `directory` is a mount point receiving propagation from a master
    /// (a `master:N` optional field in /proc/self/mountinfo).
    static func isSlaveMount(_ directory: String) -> Bool {
        guard let bytes = try? SmallFile.read("/proc/self/mountinfo") else { return false }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 6, fields[4] == directory else { continue }
            // Optional fields run from the 7th field up to the "-" separator.
            let optional = fields[6...].prefix { $0 != "-" }
            return optional.contains { $0.hasPrefix("master:") }
        }
        return false
    }

    /// /proc/PID/ns/mnt of the nearest ancestor in another mount namespace.
    static func invokerMountNamespace() -> String? {
        guard let own = try? Syscall.stat("/proc/self/ns/mnt") else { return nil }
        var pid = getppid()
        while pid > 1 {
            let path = "/proc/\(pid)/ns/mnt"
            if let other = try? Syscall.stat(path), other.st_ino != own.st_ino || other.st_dev != own.st_dev { return path }
            guard let parent = parentOf(pid) else { return nil }
            pid = parent
        }
        return nil
    }

    private static func parentOf(_ pid: pid_t) -> pid_t? {
        guard let bytes = try? SmallFile.read("/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        // "pid (comm) state ppid …": comm may hold spaces and parentheses; the last ')' ends it.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
