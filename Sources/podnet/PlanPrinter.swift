import FoundationEssentials
import Glibc
import PodnetPlan

/// A plan for people (the commands, marked + ~ -, with reasons), for machines
/// (JSON), or as a script (the bare commands).
enum PlanPrinter {
    static func text(_ plan: Plan, cluster: String) -> String {
        guard !plan.isEmpty else { return "cluster \(cluster): nothing to do; the kernel matches the file" }
        var lines: [String] = []
        for planned in plan.operations {
            let marker = planned.operation.action == "create" ? "+" : planned.operation.action == "update" ? "~" : "-"
            let commands = CommandRenderer.commands(for: planned.operation)
            lines.append("\(marker) \(commands.first ?? planned.operation.subject)    # \(planned.reason)")
            lines += commands.dropFirst().map { "    \($0)" }
        }
        let summary = plan.summary
        lines.append("")
        lines.append("cluster \(cluster): \(summary.create) to create, \(summary.update) to update, \(summary.delete) to delete")
        return lines.joined(separator: "\n")
    }

    static func commands(_ plan: Plan) -> String {
        CommandRenderer.commands(for: plan).joined(separator: "\n")
    }

    struct JSONPlan: Encodable {
        struct Item: Encodable {
            var action: String
            var object: String
            var namespace: String
            var reason: String
            var commands: [String]
        }
        var cluster: String
        var summary: Plan.Summary
        /// apply only: how long applying took, verification and waiting included.
        var seconds: Double?
        var operations: [Item]
    }

    /// The plan as JSON; `seconds` (apply) says it was applied, and in how long.
    static func json(_ plan: Plan, cluster: String, seconds: Double? = nil) throws -> String {
        let document = JSONPlan(cluster: cluster, summary: plan.summary, seconds: seconds, operations: plan.operations.map {
            .init(action: $0.operation.action, object: $0.operation.subject, namespace: $0.operation.namespace.description,
                  reason: $0.reason, commands: CommandRenderer.commands(for: $0.operation))
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
