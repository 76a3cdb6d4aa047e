@testable import PodnetKernel

/// Runs a command in the test process's own namespace (spawned from the calling
/// thread, which never leaves it): the `ip` side of interoperability checks.
@discardableResult
func host(_ arguments: String...) throws -> CommandOutput {
    try Subprocess.spawn(Command(arguments), capturing: true).collect()
}

/// `ip netns list` names (iproute2 appends " (id: N)" when an id is assigned).
func ipNetnsList() throws -> [String] {
    try host("ip", "netns", "list").standardOutputText
        .split(separator: "\n").map { String($0.split(separator: " ")[0]) }
}
