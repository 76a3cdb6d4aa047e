import CPodnetSystem
import Glibc

/// The one door to the operating system: every raw call podnet makes is wrapped here
/// once, throws a typed `Errno`, and is retried when a signal interrupts it (EINTR).
/// Nothing else in PodnetKernel calls these C functions directly.
enum Syscall {
    /// Repeats `call` while it fails with EINTR; any other failure throws errno.
    @inline(__always)
    static func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) throws(Errno) -> T {
        while true {
            let result = call()
            if result != -1 { return result }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    // MARK: Files

    static func open(_ path: String, _ flags: CInt, mode: mode_t = 0) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retryingOnInterrupt { Glibc.open(path, flags, mode) })
    }

    /// Not retried: on Linux the descriptor is released even when close reports EINTR,
    /// and retrying could close a descriptor another thread has just been given.
    static func close(_ fd: FileDescriptor) {
        _ = Glibc.close(fd.rawValue)
    }

    static func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { Glibc.read(fd.rawValue, buffer.baseAddress, buffer.count) }
    }

    static func write(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { Glibc.write(fd.rawValue, bytes.baseAddress, bytes.count) }
    }

    static func fstat(_ fd: FileDescriptor) throws(Errno) -> stat {
        var status = Glibc.stat()
        _ = try retryingOnInterrupt { Glibc.fstat(fd.rawValue, &status) }
        return status
    }

    /// Follows symbolic links, so /proc/<pid>/task/<tid>/ns/net yields the namespace inode.
    static func stat(_ path: String) throws(Errno) -> stat {
        var status = Glibc.stat()
        _ = try retryingOnInterrupt { statFollowingLinks(path, &status) }
        return status
    }

    /// Whether `path` exists (access F_OK); a lookup error counts as "no".
    static func exists(_ path: String) -> Bool {
        Glibc.access(path, F_OK) == 0
    }

    static func mkdir(_ path: String, mode: mode_t) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.mkdir(path, mode) }
    }

    static func unlink(_ path: String) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.unlink(path) }
    }

    static func flock(_ fd: FileDescriptor, _ operation: CInt) throws(Errno) {
        _ = try retryingOnInterrupt { lockFile(fd.rawValue, operation) }
    }

    /// The names in a directory, without "." and "..".
    static func directoryEntries(_ path: String) throws(Errno) -> [String] {
        guard let directory = opendir(path) else { throw Errno.current }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw Errno.current }
                return names
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    // MARK: Mounts

    static func mount(source: String, target: String, type: String? = nil, flags: Int, data: String? = nil) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.mount(source, target, type, UInt(flags), data) }
    }

    static func unmount(_ target: String, flags: Int) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.umount2(target, CInt(flags)) }
    }

    // MARK: Namespaces and threads

    static let cloneNewNet = podnet_clone_newnet()
    static let cloneNewNs = podnet_clone_newns()
    static let cloneFS = podnet_clone_fs()

    /// Moves the calling thread, and only it, into the namespace behind `fd`.
    static func setns(_ fd: FileDescriptor, _ type: CInt) throws(Errno) {
        _ = try retryingOnInterrupt { podnet_setns(fd.rawValue, type) }
    }

    /// Gives the calling thread, and only it, new namespaces of the given kinds.
    static func unshare(_ flags: CInt) throws(Errno) {
        _ = try retryingOnInterrupt { podnet_unshare(flags) }
    }

    static func gettid() -> pid_t { podnet_gettid() }

    /// The CLONE_NEW* kind of a namespace file; ENOTTY when it is no namespace at all.
    static func namespaceType(_ fd: FileDescriptor) throws(Errno) -> CInt {
        try retryingOnInterrupt { podnet_ns_get_nstype(fd.rawValue) }
    }

    /// Best effort: a thread name only helps people reading `ps -L` or /proc.
    static func setCurrentThreadName(_ name: String) {
        _ = podnet_set_current_thread_name(String(decoding: name.utf8.prefix(15), as: UTF8.self))
    }

    // MARK: Processes

    /// A pipe whose ends are close-on-exec, created atomically so that a child spawned
    /// concurrently by another thread cannot inherit them (it would hold our EOF hostage).
    static func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [CInt] = [-1, -1]
        _ = try retryingOnInterrupt { podnet_pipe2_cloexec(&fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: CInt) throws(Errno) -> Int {
        let count = nfds_t(fds.count)
        return Int(try retryingOnInterrupt { Glibc.poll(&fds, count, timeoutMilliseconds) })
    }

    /// Waits for one child and returns its raw wait status.
    static func waitpid(_ pid: pid_t) throws(Errno) -> CInt {
        var status: CInt = 0
        _ = try retryingOnInterrupt { Glibc.waitpid(pid, &status, 0) }
        return status
    }
}

// Inside `Syscall`, and as `Glibc.stat`/`Glibc.flock`, these names resolve to the
// C structs of the same name; at file scope they resolve to the functions.
private func statFollowingLinks(_ path: String, _ status: inout stat) -> CInt { stat(path, &status) }
private func lockFile(_ fd: CInt, _ operation: CInt) -> CInt { flock(fd, operation) }

extension Syscall {
    /// The mount flags (ST_RDONLY, …) of the file system holding `path`.
    static func mountFlags(_ path: String) throws(Errno) -> UInt {
        var info = statvfs()
        _ = try retryingOnInterrupt { statvfs(path, &info) }
        return info.f_flag
    }
}
