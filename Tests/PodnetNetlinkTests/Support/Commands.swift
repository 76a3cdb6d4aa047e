import Foundation

/// Runs a program (iproute2 in these tests) and returns its standard output; a
/// non-zero exit is an error carrying standard error.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read before waiting: a full pipe would block the child.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailure(command: ([executable] + arguments).joined(separator: " "),
                             status: process.terminationStatus,
                             errorText: String(decoding: errorData, as: UTF8.self))
    }
    return String(decoding: outputData, as: UTF8.self)
}

struct CommandFailure: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var errorText: String
    var description: String { "\(command) exited \(status): \(errorText)" }
}

/// Parses iproute2's `-j` output: a JSON array of objects.
func jsonObjects(_ text: String) throws -> [[String: Any]] {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return [] }
    guard let objects = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]] else {
        throw CommandFailure(command: "JSON parse", status: 0, errorText: text)
    }
    return objects
}
