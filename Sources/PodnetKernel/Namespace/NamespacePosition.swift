import Glibc

/// Where a NetnsThread's thread is: inside its namespace, or stepped out to the
/// process's own. Only ever touched by that thread.
///
/// Why step out at all: resuming a Swift continuation enqueues the task on the global
/// executor, and on Linux libdispatch may start a new worker thread right there, from
/// the resuming thread, with pthread_create. A thread inherits its creator's
/// namespaces, so resuming from inside would leak a pool thread into the pod's
/// namespace for good (seen here: NetnsThreadTests.resumingLeavesNoPoolThread…; Go's
/// runtime had the same trap until 1.10). So before resuming, the thread returns home
/// (one setns), and re-enters lazily before its next job (another).
final class NamespacePosition {
    private let target: FileDescriptor
    private let home: FileDescriptor
    private var inside = false

    /// `target` stays owned by the caller; `home` is opened here and closed by `close()`.
    init(target: FileDescriptor) throws(NetnsError) {
        self.target = target
        do {
            home = try Syscall.open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        } catch {
            throw .system("cannot open this process's network namespace", error)
        }
    }

    func enter() throws(NetnsError) {
        if inside { return }
        do {
            try Syscall.setns(target, Syscall.cloneNewNet)
        } catch {
            throw .system("cannot enter the network namespace (setns)", error)
        }
        inside = true
    }

    /// Returns the thread to the process's namespace. Failing to is fatal: the thread
    /// could then neither resume its caller safely nor be trusted with another job.
    func leave() {
        if !inside { return }
        do {
            try Syscall.setns(home, Syscall.cloneNewNet)
        } catch {
            fatalError("cannot return to this process's network namespace (setns): \(error)")
        }
        inside = false
    }

    func close() { Syscall.close(home) }
}
