import Glibc

/// One apply or destroy per cluster at a time: an exclusive flock on
/// /run/podnet/CLUSTER.lock, released when the process ends, however it ends
/// (kill -9 included), so a crash never leaves the cluster locked.
public final class ClusterLock {
    public static let directory = "/run/podnet"
    private let fd: FileDescriptor

    /// - Parameter waiting: called once if another podnet holds the lock and `wait`
    ///   is true, before blocking; with `wait` false a held lock throws instead.
    public init(cluster: String, wait: Bool, waiting: () -> Void) throws(ApplyError) {
        do {
            do { try Syscall.mkdir(Self.directory, mode: 0o755) } catch where error == .exists {}
            fd = try Syscall.open("\(Self.directory)/\(cluster).lock", O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o644)
        } catch {
            throw ApplyError(operation: "lock cluster \(cluster)", reason: "\(error)")
        }
        do {
            try Syscall.flock(fd, LOCK_EX | LOCK_NB)
        } catch where error.rawValue == EWOULDBLOCK {
            guard wait else {
                Syscall.close(fd)
                throw ApplyError(operation: "lock cluster \(cluster)", reason: "another podnet is applying or destroying it (drop --no-wait to wait for it)")
            }
            waiting()
            do { try Syscall.flock(fd, LOCK_EX) } catch {
                Syscall.close(fd)
                throw ApplyError(operation: "lock cluster \(cluster)", reason: "\(error)")
            }
        } catch {
            Syscall.close(fd)
            throw ApplyError(operation: "lock cluster \(cluster)", reason: "\(error)")
        }
    }

    deinit { Syscall.close(fd) }
}
