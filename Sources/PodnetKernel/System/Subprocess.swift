import CPodnetSystem
import Glibc

/// A child started with posix_spawn. glibc's posix_spawn clones the *calling thread*
/// (CLONE_VM|CLONE_VFORK), so the child inherits that thread's network and mount
/// namespaces: spawning from a thread that has entered a namespace is how a command
/// runs inside it, with no setns in the child.
///
/// A value so it can be returned from a NetnsThread; call exactly one of `collect()`
/// (capturing spawns) or `waitForExit()` on it, once, or the child stays a zombie.
struct Subprocess {
    let pid: pid_t
    /// Read ends of the child's stdout and stderr, when captured.
    private let output: FileDescriptor?
    private let error: FileDescriptor?
    /// Our end of the child's stdin and what to write there, when given.
    private let input: (socket: FileDescriptor, bytes: [UInt8])?

    /// Starts `command`; with `capturing`, stdin is /dev/null (or, given `input`, a
    /// socket `collect()` writes it to) and stdout/stderr are pipes read by
    /// `collect()`; otherwise the child shares this process's stdio.
    static func spawn(_ command: Command, capturing: Bool, input: [UInt8]? = nil) throws(CommandError) -> Subprocess {
        precondition(input == nil || capturing, "input is written by collect(), which needs a capturing spawn")
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }

        var pipes: [(read: FileDescriptor, write: FileDescriptor)] = []
        defer { for pipe in pipes { Syscall.close(pipe.write) } }
        // stdin to write: a socket pair rather than a pipe, because send() can refuse
        // SIGPIPE (MSG_NOSIGNAL) when the child exits without reading everything.
        var inputEnds: (ours: FileDescriptor, child: FileDescriptor)?
        defer { if let inputEnds { Syscall.close(inputEnds.child) } }
        if capturing {
            do {
                pipes.append(try Syscall.pipe())
                pipes.append(try Syscall.pipe())
                if input != nil { inputEnds = try Syscall.socketPair() }
            } catch {
                for pipe in pipes { Syscall.close(pipe.read) }
                if let inputEnds { Syscall.close(inputEnds.ours) }
                throw .system("cannot create a pipe for \(command.arguments[0])", error)
            }
            if let inputEnds {
                posix_spawn_file_actions_adddup2(&actions, inputEnds.child.rawValue, 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_adddup2(&actions, pipes[0].write.rawValue, 1)
            posix_spawn_file_actions_adddup2(&actions, pipes[1].write.rawValue, 2)
        }
        // Descriptors this process opened without O_CLOEXEC must not leak into the child.
        podnet_spawn_file_actions_addclosefrom(&actions, 3)

        // Signals this process ignores or blocks would stay ignored/blocked across exec.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU] {
            sigaddset(&defaults, signal)
        }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = command.arguments.map { strdup($0) } + [nil]
        let envp = command.environment.map { $0.map { strdup($0) } + [nil] }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp ?? [] { free(pointer) }
        }
        var pid: pid_t = 0
        // posix_spawn returns the error number instead of setting errno, and reports
        // exec failures (ENOENT, EACCES) synchronously thanks to CLONE_VFORK.
        let result = if let envp {
            posix_spawnp(&pid, argv[0]!, &actions, &attributes, argv, envp)
        } else {
            posix_spawnp(&pid, argv[0]!, &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            for pipe in pipes { Syscall.close(pipe.read) }
            if let inputEnds { Syscall.close(inputEnds.ours) }
            switch Errno(rawValue: result) {
            case .noEntry: throw .notFound(command.arguments[0])
            case .permissionDenied: throw .notExecutable(command.arguments[0])
            case let errno: throw .system("cannot run \(command.arguments[0])", errno)
            }
        }
        return Subprocess(pid: pid, output: pipes.first?.read, error: pipes.last?.read,
                          input: inputEnds.map { ($0.ours, input ?? []) })
    }

    private init(pid: pid_t, output: FileDescriptor?, error: FileDescriptor?, input: (FileDescriptor, [UInt8])? = nil) {
        self.pid = pid
        self.output = output
        self.error = error
        self.input = input
    }

    /// Writes the input, if any, while reading stdout and stderr to their ends (all
    /// at once, so a child filling one pipe while we block on another cannot
    /// deadlock), then reaps the child. A child that stops reading its input early
    /// just gets no more of it; its exit status tells the rest.
    func collect() throws(CommandError) -> CommandOutput {
        guard let output, let error else { preconditionFailure("collect() needs a capturing spawn") }
        var captured: [[UInt8]] = [[], []]
        var watched = [pollfd(fd: output.rawValue, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: error.rawValue, events: Int16(POLLIN), revents: 0)]
        var written = 0
        var inputOpen = input != nil
        if let input { watched.append(pollfd(fd: input.socket.rawValue, events: Int16(POLLOUT), revents: 0)) }
        defer {
            Syscall.close(output)
            Syscall.close(error)
            if inputOpen, let input { Syscall.close(input.socket) }
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
        defer { chunk.deallocate() }
        do throws(Errno) {
            while watched.contains(where: { $0.fd >= 0 }) {
                _ = try Syscall.poll(&watched, timeoutMilliseconds: -1)
                for index in 0..<2 where watched[index].fd >= 0 && watched[index].revents != 0 {
                    let fd = FileDescriptor(rawValue: watched[index].fd)
                    let count = try Syscall.read(fd, into: chunk)
                    if count == 0 { watched[index].fd = -1 } else { captured[index] += chunk[..<count] }
                }
                if inputOpen, let input, watched[2].revents != 0 {
                    var finished = written == input.bytes.count
                    if !finished {
                        do throws(Errno) {
                            let end = min(written + 65536, input.bytes.count)
                            written += try input.bytes[written..<end].withUnsafeBytes { buffer in
                                Result { () throws(Errno) in try Syscall.send(input.socket, buffer) }
                            }.get()
                            finished = written == input.bytes.count
                        } catch where error == .wouldBlock {
                        } catch {
                            finished = true  // EPIPE, ECONNRESET: the child closed its stdin
                        }
                    }
                    if finished {
                        // Closing our end is the child's end of file.
                        Syscall.close(input.socket)
                        inputOpen = false
                        watched[2].fd = -1
                    }
                }
            }
        } catch {
            _ = try? Syscall.waitpid(pid)
            throw .system("cannot read the output of process \(pid)", error)
        }
        let status = try waitForExit()
        return CommandOutput(status: status, standardOutput: captured[0], standardError: captured[1])
    }

    /// Reaps the child. Every spawned child must be waited for exactly once.
    func waitForExit() throws(CommandError) -> ExitStatus {
        do {
            return ExitStatus(waitStatus: try Syscall.waitpid(pid))
        } catch {
            throw .system("cannot wait for process \(pid)", error)
        }
    }
}
