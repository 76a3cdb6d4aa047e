import Foundation
@testable import PodnetKernel
import PodnetKernelModel
import PodnetPlan
import Testing

/// `nft -f` in a test's namespace: the check that the text podnet prints (a plan's
/// statements, a ruleset) is nft's own and makes the table podnet writes.
enum NftScript {
    /// Loads `script` with `nft -f` inside `namespace` (from a file of its own, removed after).
    static func load(_ script: String, in namespace: NetnsName) throws -> CommandOutput {
        let path = "/tmp/podnet-test-\(namespace.rawValue).nft"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try host("ip", "netns", "exec", namespace.rawValue, "nft", "-f", path)
    }

    /// The statements of the plan that makes `desired` from nothing.
    static func plan(_ desired: NFTable) -> String {
        NFTablesDiff.changes(live: nil, desired: desired).flatMap(\.nftStatements).joined(separator: "\n") + "\n"
    }

    /// The plan's text for `desired`, loaded by `nft -f` in `namespace`, makes exactly
    /// `desired` (read back over netlink).
    static func expectPlanMakesTheTable(_ desired: NFTable, in namespace: NetnsName,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let script = plan(desired)
        let loaded = try load(script, in: namespace)
        #expect(loaded.status == .exited(0), "\(loaded.standardErrorText)\n\(script)", sourceLocation: sourceLocation)
        let live = try #require(try NFTablesDriver(namespace: NetnsDirectory().open(namespace)).read(desired.id), sourceLocation: sourceLocation)
        #expect(live == desired, "\(KernelTests.NFTablesDriverTests.differences(live, desired))", sourceLocation: sourceLocation)
    }
}
