import Foundation

/// An example topology under a fresh test-only cluster name (`pnt` and six digits,
/// a name no user would pick), written to a temporary file; the cluster is always
/// destroyed and its namespaces removed, even when the body fails.
func withTestCluster(example: String = "host-gw", _ body: (String, URL) throws -> Void) throws {
    let text = try String(contentsOf: PodnetBinary.repository.appendingPathComponent("topologies/\(example).yaml"), encoding: .utf8)
    try withTestCluster(prefix: "pnt", text: { _ in text }, body)
}

/// The topology `text(cluster)` gives under a fresh cluster name (`prefix` and six
/// digits; its `name:` line is set to it), written to a temporary file; the cluster
/// is always destroyed and its namespaces removed, even when the body fails.
func withTestCluster(prefix: String, text: (String) throws -> String, _ body: (String, URL) throws -> Void) throws {
    let cluster = prefix + String(Int.random(in: 100_000...999_999))
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(cluster).yaml")
    let renamed = try text(cluster).split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.hasPrefix("name: ") ? "name: \(cluster)" : String($0) }.joined(separator: "\n")
    try renamed.write(to: file, atomically: true, encoding: .utf8)
    defer {
        _ = try? PodnetBinary.run(["destroy", "--cluster", cluster])
        _ = try? shell("for n in $(ip netns list | awk '{print $1}' | grep '^\(cluster)\\.'); do ip netns del $n; done")
        try? FileManager.default.removeItem(at: file)
    }
    try body(cluster, file)
}

/// Runs a shell script in the test's own namespace; stdout captured, stderr dropped.
@discardableResult
func shell(_ script: String) throws -> (status: Int32, stdout: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A topology file with its `network:` block (the line and its indented ones)
/// replaced by `network`: the same cluster over another backend.
func replaceNetwork(of file: URL, with network: String) throws {
    var lines: [String] = []
    var skipping = false
    for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("network:") { lines.append(network); skipping = true; continue }
        if skipping, line.hasPrefix(" ") { continue }
        skipping = false
        lines.append(line)
    }
    try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
}
