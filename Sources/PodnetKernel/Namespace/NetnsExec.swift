/// Running a command inside the namespace, like `ip netns exec NAME command…`:
/// for `podnet exec` and for connectivity checks (ping, nc) from a pod.
///
/// The child is spawned from a thread inside the namespace and inherits it; with
/// `.namespace` sysfs it also gets its own /sys (see SysfsView). /etc/netns/NAME is
/// not bind-mounted over /etc as `ip netns exec` would: podnet does not use it.
extension NetnsThread {
    /// Runs `command` with stdin from /dev/null and returns what it printed and how it
    /// ended. The namespace thread only spawns; this thread reads and waits.
    @available(*, noasync, message: "blocks the calling thread; use the async exec from async code")
    public func exec(_ command: Command, sysfs: SysfsView = .namespace) throws -> CommandOutput {
        try spawn(command, capturing: true, sysfs: sysfs).collect()
    }

    /// Runs `command` on this process's terminal (stdin, stdout, stderr inherited) and
    /// returns how it ended. The caller should ignore SIGINT and SIGQUIT while it waits,
    /// as system(3) does, so that ^C stops the command and not podnet.
    @available(*, noasync, message: "blocks the calling thread; use the async exec from async code")
    public func execInteractive(_ command: Command, sysfs: SysfsView = .namespace) throws -> ExitStatus {
        try spawn(command, capturing: false, sysfs: sysfs).waitForExit()
    }

    /// As the blocking `exec`, but the namespace thread also reads and waits, so
    /// other jobs for this namespace queue behind the command until it ends.
    public func exec(_ command: Command, sysfs: SysfsView = .namespace) async throws -> CommandOutput {
        try await run { try self.spawn(command, capturing: true, sysfs: sysfs).collect() }
    }

    public func execInteractive(_ command: Command, sysfs: SysfsView = .namespace) async throws -> ExitStatus {
        try await run { try self.spawn(command, capturing: false, sysfs: sysfs).waitForExit() }
    }

    private func spawn(_ command: Command, capturing: Bool, sysfs: SysfsView) throws -> Subprocess {
        switch sysfs {
        case .host:
            try run { try Subprocess.spawn(command, capturing: capturing) }
        case .namespace:
            try PrivateSysfs.spawn(command, capturing: capturing, in: namespace, label: label)
        }
    }
}
