import Foundation
import PodnetTopology
import Testing

/// Dual stack is additive: every IPv4-only example resolves to exactly the JSON it
/// gave before the IPv6 fields existed (Fixtures/resolved/NAME.json, encoded as
/// `podnet validate --output json` encodes a topology). A change to allocation or to
/// the model's encoding shows here as a difference, not as a silent renumbering.
@Suite struct ResolvedExamplesTests {
    static let files = RepositoryPaths.yamlFiles(in: RepositoryPaths.topologies)
    static let resolved = RepositoryPaths.fixtures.appendingPathComponent("resolved")

    @Test(arguments: files)
    func exampleResolvesAsBefore(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let topology = try #require(TopologyLoader.load(text: text, file: url.lastPathComponent).topology)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(topology), as: UTF8.self)
        let golden = Self.resolved.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".json")
        if ProcessInfo.processInfo.environment["PODNET_RECORD_RESOLVED"] == "1" {
            // Recording writes the files and still fails, so that a run that records never passes.
            try json.write(to: golden, atomically: true, encoding: .utf8)
            Issue.record("recorded \(golden.lastPathComponent); run again without PODNET_RECORD_RESOLVED")
            return
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(json == expected, "\(url.lastPathComponent) no longer resolves as recorded in Fixtures/resolved")
    }
}
