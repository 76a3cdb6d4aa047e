import Glibc

/// The process's limit on open descriptors (RLIMIT_NOFILE), which bounds how many
/// probe connections can be in flight at once.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard one, as servers do, and returns the soft
    /// limit now in force (unchanged if it cannot be raised).
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        guard var limit = try? Syscall.openFileLimit() else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            try? Syscall.setOpenFileLimit(limit)
        }
        return Int(clamping: (try? Syscall.openFileLimit())?.rlim_cur ?? 1024)
    }
}

extension Syscall {
    private static let openFiles = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

    static func openFileLimit() throws(Errno) -> rlimit {
        var limit = rlimit()
        _ = try retryingOnInterrupt { getrlimit(openFiles, &limit) }
        return limit
    }

    static func setOpenFileLimit(_ limit: rlimit) throws(Errno) {
        var limit = limit
        _ = try retryingOnInterrupt { setrlimit(openFiles, &limit) }
    }
}
