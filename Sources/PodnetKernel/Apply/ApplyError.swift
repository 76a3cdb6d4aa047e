/// Why applying a plan stopped, in a user's words: the operation, and what the
/// kernel said.
public struct ApplyError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var reason: String

    public init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(operation): \(reason)" }
}
