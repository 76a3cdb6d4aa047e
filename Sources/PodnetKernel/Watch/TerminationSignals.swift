import Glibc

/// SIGTERM, SIGINT and SIGHUP as a descriptor to wait on beside the others (signalfd),
/// so that a long-running command ends between two of its steps, never inside one.
///
/// Make it on the main thread before starting any other: the signals are blocked in
/// the thread that makes it, and threads inherit that. podnet's subprocesses unblock
/// them again (Subprocess sets the child's mask).
public final class TerminationSignals {
    public let fileDescriptor: FileDescriptor

    public init() throws(Errno) {
        fileDescriptor = try Syscall.terminationSignalDescriptor()
    }

    deinit { Syscall.close(fileDescriptor) }

    /// The signals pending, in arrival order (empty when none is).
    public func take() throws(Errno) -> [CInt] {
        var signals: [CInt] = []
        while let signal = try Syscall.readSignal(fileDescriptor) { signals.append(signal) }
        return signals
    }
}
