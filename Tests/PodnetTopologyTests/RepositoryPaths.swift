import Foundation

/// Paths in the source tree; tests read fixtures and example topologies in place.
enum RepositoryPaths {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/PodnetTopologyTests/Fixtures")
    static let topologies = root.appendingPathComponent("topologies")

    static func yamlFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }
}
