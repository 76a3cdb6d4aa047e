/// Why a YAML text could not be read, and where.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var mark: SourceMark
    public var message: String

    public init(mark: SourceMark, message: String) {
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(mark): \(message)" }
}
