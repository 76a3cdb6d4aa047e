import Foundation
import PodnetTopology
import Testing

/// Every invalid fixture fails with exactly the errors marked in it, at their
/// positions; every warning fixture is valid and warns as marked.
@Suite struct FixtureCorpusTests {
    static let invalid = RepositoryPaths.yamlFiles(in: RepositoryPaths.fixtures.appendingPathComponent("invalid"))
    static let warnings = RepositoryPaths.yamlFiles(in: RepositoryPaths.fixtures.appendingPathComponent("warnings"))

    @Test func corpusIsLargeEnough() {
        #expect(Self.invalid.count >= 25, "the invalid corpus must hold at least 25 files")
    }

    @Test(arguments: invalid)
    func invalidFileFailsWhereMarked(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let expectations = FixtureExpectation.parse(text)
        try #require(!expectations.isEmpty, "\(url.lastPathComponent) marks no expected finding")
        let result = TopologyLoader.load(text: text, file: url.lastPathComponent)
        #expect(result.topology == nil, "\(url.lastPathComponent) must be invalid")
        check(result, against: expectations, file: url.lastPathComponent)
    }

    @Test(arguments: warnings)
    func warningFileIsValidAndWarns(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let expectations = FixtureExpectation.parse(text)
        try #require(!expectations.isEmpty, "\(url.lastPathComponent) marks no expected finding")
        let result = TopologyLoader.load(text: text, file: url.lastPathComponent)
        #expect(result.topology != nil, "\(url.lastPathComponent) must be valid: \(result.errors.map(\.message))")
        check(result, against: expectations, file: url.lastPathComponent)
    }

    private func check(_ result: TopologyLoadResult, against expectations: [FixtureExpectation], file: String) {
        for expectation in expectations {
            let severity: Diagnostic.Severity = expectation.isWarning ? .warning : .error
            let found = result.diagnostics.contains {
                $0.severity == severity && $0.line == expectation.line && $0.column == expectation.column
                    && $0.message.contains(expectation.fragment)
            }
            #expect(found, "\(file): expected \(expectation); got \(result.diagnostics.map { "\($0.line):\($0.column) \($0.severity.rawValue): \($0.message)" })")
        }
        let expectedErrors = expectations.filter { !$0.isWarning }.count
        #expect(result.errors.count == expectedErrors,
                "\(file): \(result.errors.count) errors, \(expectedErrors) marked: \(result.errors.map { "\($0.line):\($0.column) \($0.message)" })")
    }
}
