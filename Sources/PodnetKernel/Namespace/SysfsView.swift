import Glibc

/// Which /sys a command run in a namespace sees.
///
/// sysfs shows the network devices of the namespace that *mounted* it, so the process's
/// /sys lists the host's interfaces wherever a thread is. Tools that speak netlink
/// (ip, ping, ss, nft, iptables) do not care; tools that read /sys/class/net
/// (ethtool, tcpdump -D, udev-style scripts, `ls /sys/class/net`) do.
public enum SysfsView: Hashable, Sendable {
    /// The process's /sys. No extra cost; right for podnet's own checks (ping, nc, ip).
    case host
    /// A sysfs mounted for the namespace in a private mount namespace, as
    /// `ip netns exec` does. Costs a short-lived thread, an unshare and a mount per
    /// command; right for `podnet exec`, where the user expects `ip netns exec`.
    case namespace
}

/// Spawning with a namespace's own /sys, the way iproute2's netns_switch prepares
/// `ip netns exec`: on a throwaway thread, enter the network namespace, take a
/// private mount namespace whose mounts never propagate back (rslave), and mount
/// a fresh sysfs over /sys. The child inherits both namespaces from that thread.
enum PrivateSysfs {
    static func spawn(_ command: Command, capturing: Bool, in namespace: NetnsHandle,
                      label: String) throws -> Subprocess {
        let outcome = Handoff<Result<Subprocess, any Error>>()
        let thread = try JoinableThread(name: "netns exec") {
            outcome.put(Result {
                try prepare(namespace, label: label)
                return try Subprocess.spawn(command, capturing: capturing)
            })
        }
        thread.join()  // the thread's namespaces die with it, except in the child
        return try outcome.take().get()
    }

    private static func prepare(_ namespace: NetnsHandle, label: String) throws(NetnsError) {
        do {
            try Syscall.setns(namespace.fileDescriptor, Syscall.cloneNewNet)
        } catch {
            throw .system("cannot enter the network namespace (setns)", error)
        }
        do {
            try Syscall.unshare(Syscall.cloneNewNs)
        } catch {
            throw .system("cannot create a mount namespace (unshare)", error)
        }
        // Before anything is unmounted: otherwise, where / is a shared mount (systemd
        // hosts), unmounting /sys here would unmount it on the host too.
        do {
            try Syscall.mount(source: "", target: "/", type: "none", flags: MS_SLAVE | MS_REC)
        } catch {
            throw .system("cannot make / a slave mount (mount --make-rslave /)", error)
        }
        var flags = 0
        do {
            try Syscall.unmount("/sys", flags: MNT_DETACH)
        } catch {
            // Could not unmount: mount over it, read-only if it was (a read-only
            // sysfs cannot be shadowed by a read-write one).
            if let current = try? Syscall.mountFlags("/sys"), current & UInt(ST_RDONLY) != 0 { flags = MS_RDONLY }
        }
        do {
            try Syscall.mount(source: label, target: "/sys", type: "sysfs", flags: flags)
        } catch {
            throw .system("cannot mount a sysfs for the namespace on /sys", error)
        }
    }
}
