import PodnetAddress
import PodnetTopology
import Testing

/// Loads `text` and requires it to be valid, reporting the diagnostics otherwise.
func loadValid(_ text: String, live: LiveAssignments = .none, sourceLocation: SourceLocation = #_sourceLocation) throws -> Topology {
    let result = TopologyLoader.load(text: text, file: "test.yaml", live: live)
    return try #require(result.topology, "invalid: \(result.diagnostics.map { "\($0.line):\($0.column) \($0.message)" })",
                        sourceLocation: sourceLocation)
}

/// The errors of `text`, as "LINE:COL message".
func errors(_ text: String) -> [String] {
    TopologyLoader.load(text: text, file: "test.yaml").errors.map { "\($0.line):\($0.column) \($0.message)" }
}

func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }
func prefix(_ text: String) -> IPv4Prefix { IPv4Prefix(text)! }
