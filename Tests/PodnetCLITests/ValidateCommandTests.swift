import Foundation
import Testing

@Suite struct ValidateCommandTests {
    @Test func examplesAreValidAndExitZero() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: PodnetBinary.repository.appendingPathComponent("topologies").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "topologies/\($0)" }
        let outcome = try PodnetBinary.run(["validate"] + files)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("topologies/lab.yaml: valid: cluster 'lab', 2 nodes, 4 pods, 1 service"))
    }

    @Test func anInvalidFileExitsOneWithPositionedErrors() throws {
        let outcome = try PodnetBinary.run(["validate", "Tests/PodnetTopologyTests/Fixtures/invalid/unknown-key-podCidr.yaml"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("unknown-key-podCidr.yaml:"))
        #expect(outcome.stderr.contains("error: unknown key 'podCidr' in a node; did you mean 'podCIDR'?"))
        #expect(outcome.stderr.contains("^"))
    }

    @Test func jsonCarriesTheResolvedTopology() throws {
        let outcome = try PodnetBinary.run(["validate", "--output", "json", "topologies/lab.yaml"])
        #expect(outcome.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(json["valid"] as? Bool == true)
        let topology = try #require(json["topology"] as? [String: Any])
        let pods = try #require(topology["pods"] as? [[String: Any]])
        #expect(pods.first?["ip"] as? String == "10.200.0.2")
    }

    @Test func usageMistakesExit64() throws {
        #expect(try PodnetBinary.run(["validate", "-o", "json", "a.yaml", "b.yaml"]).status == 64)
        #expect(try PodnetBinary.run(["validate", "--output", "yaml", "a.yaml"]).status == 64)
        #expect(try PodnetBinary.run(["no-such-command"]).status == 64)
    }

    @Test func aMissingFileIsReportedNotCrashedOn() throws {
        let outcome = try PodnetBinary.run(["validate", "/nonexistent/podnet.yaml"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("the file does not exist"))
    }
}
