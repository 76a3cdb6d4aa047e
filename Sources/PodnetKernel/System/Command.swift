/// A program to run and its arguments, the way a shell would run them:
/// `arguments[0]` is looked up in PATH unless it contains a slash.
public struct Command: Hashable, Sendable, CustomStringConvertible {
    public var arguments: [String]
    /// "NAME=value" entries; nil inherits this process's environment.
    public var environment: [String]?

    public init(_ arguments: [String], environment: [String]? = nil) {
        precondition(!arguments.isEmpty, "a command needs at least the program name")
        self.arguments = arguments
        self.environment = environment
    }

    public var description: String { arguments.joined(separator: " ") }
}

/// A command that could not be run at all (as opposed to one that ran and failed,
/// which is a non-zero `ExitStatus`).
public enum CommandError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(String)
    case notExecutable(String)
    case system(String, Errno)

    public var description: String {
        switch self {
        case .notFound(let program): "\(program): command not found"
        case .notExecutable(let program): "\(program): permission denied (not an executable file?)"
        case .system(let action, let errno): "\(action): \(errno)"
        }
    }
}
