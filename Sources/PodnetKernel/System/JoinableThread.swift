import Glibc

/// A POSIX thread that its starter can join. Namespace work needs that: a thread
/// inside a namespace keeps the namespace alive, so "closed" must mean "gone".
/// Foundation's Thread is detached and cannot be joined.
final class JoinableThread: Sendable {
    fileprivate let handle: pthread_t

    /// Starts `body` on a new thread named `name` (shown by `ps -L`, truncated to 15 bytes).
    /// The new thread inherits the *calling* thread's namespaces, as any clone does.
    init(name: String, _ body: @escaping @Sendable () -> Void) throws(Errno) {
        let start = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { context in
            let start = Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue()
            Syscall.setCurrentThreadName(start.name)
            start.body()
            return nil
        }, start)
        guard result == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(start).release()
            throw Errno(rawValue: result)
        }
        self.handle = handle
    }

    /// Waits until the thread has ended. Call exactly once, and never from the thread itself.
    func join() {
        _ = pthread_join(handle, nil)
    }
}

private final class ThreadStart: Sendable {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

extension JoinableThread {
    /// Lets the thread's resources go when it ends, for a thread nobody will join
    /// (one that is told to stop from inside itself).
    func detach() {
        _ = pthread_detach(handle)
    }
}
