import ArgumentParser
import FoundationEssentials
import Glibc
import PodnetTopology

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check topology files without touching the kernel.",
        discussion: """
        Every error and warning is reported, not only the first, as FILE:LINE:COLUMN with \
        the source line and a caret under the spot, and a fix where one exists. Warnings \
        (such as a selector that matches no pod) do not make a file invalid.

        With --output json (one file), stdout holds one JSON object: "valid", \
        "diagnostics" (severity, file, line, column, message) and, when valid, \
        "topology": the resolved cluster with every default and address filled in.

        Examples:
          podnet validate topologies/*.yaml
          podnet validate -o json topologies/lab.yaml | jq '.topology.pods[] | {name, ip}'

        Exit status: 0 every file is valid, 1 a file has an error, 64 a usage mistake.
        """
    )

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing for valid files (errors and warnings still go to stderr).")
    var quiet = false

    @Argument(help: "Topology files to check.")
    var files: [String]

    func validate() throws {
        if output == .json, files.count != 1 {
            throw ValidationError("--output json takes exactly one file; run podnet once per file")
        }
    }

    func run() throws {
        var failed = false
        for path in files {
            let file = TopologyFile(path: path)
            file.reportDiagnostics()
            failed = failed || !file.result.isValid
            switch output {
            case .json:
                try printJSON(file)
            case .text:
                if let topology = file.result.topology, !quiet {
                    Terminal.write("\(path): valid: cluster '\(topology.name)', \(Self.count(topology.nodes.count, "node")), \(Self.count(topology.pods.count, "pod")), \(Self.count(topology.services.count, "service"))")
                }
            }
        }
        if failed { throw ExitCode.failure }
    }

    private func printJSON(_ file: TopologyFile) throws {
        struct Report: Encodable {
            var file: String
            var valid: Bool
            var diagnostics: [Diagnostic]
            var topology: Topology?
        }
        let report = Report(file: file.path, valid: file.result.isValid, diagnostics: file.result.diagnostics, topology: file.result.topology)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        Terminal.write(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
