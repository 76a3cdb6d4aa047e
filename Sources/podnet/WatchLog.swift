import FoundationEssentials
import Glibc
import PodnetPlan

/// What `podnet watch` prints on stdout: one line per event, each starting with the
/// time (UTC, microseconds), for people; or (`-o json`) one JSON object per line.
struct WatchLog {
    let format: OutputFormat

    /// One line of `-o json`. `event` says which of the optional fields it has.
    struct Entry: Encodable {
        /// "watching", "repaired", "matched" (--verbose), "failed", "file-invalid", "stopped".
        var event: String
        var time: String
        var cluster: String
        var file: String? = nil
        /// watching: the namespaces subscribed to; repaired: after the repair.
        var namespaces: Int? = nil
        var resyncSeconds: Double? = nil
        /// What led to the look: start, file, kernel, namespaces, resync, retry, recheck.
        var triggers: [String]? = nil
        /// repaired: from the first operation until the kernel took the last one (and new
        /// veths carry traffic); matched: the look.
        var seconds: Double? = nil
        var summary: Plan.Summary? = nil
        var operations: [PlanPrinter.JSONPlan.Item]? = nil
        /// repaired: from the first change heard (a notification, the file saved) to
        /// the repair done; absent for a resync's repair.
        var sinceChange: Double? = nil
        /// repaired: veths not yet carrying traffic after the wait.
        var notUp: [String]? = nil
        var error: String? = nil
        var signal: String? = nil
    }

    func watching(cluster: String, file: String, namespaces: Int, resync: Double?) {
        let every = resync.map { "a full resync every \(WatchDuration.text($0))" } ?? "no periodic resync"
        emit(Entry(event: "watching", time: Self.timestamp(), cluster: cluster, file: file, namespaces: namespaces, resyncSeconds: resync),
             text: "\(cluster): watching \(namespaces) namespaces and \(file); \(every)")
    }

    func repaired(cluster: String, plan: Plan, triggers: Set<WatchSchedule.Trigger>, seconds: Double, sinceChange: Double?,
                  namespaces: Int, notUp: [String]) {
        let summary = plan.summary
        let items = plan.operations.map {
            PlanPrinter.JSONPlan.Item(action: $0.operation.action, object: $0.operation.subject, namespace: $0.operation.namespace.description,
                                      reason: $0.reason, commands: CommandRenderer.commands(for: $0.operation))
        }
        let shown = plan.operations.prefix(3).map { planned -> String in
            let marker = planned.operation.action == "create" ? "+" : planned.operation.action == "update" ? "~" : "-"
            return "\(marker) \(planned.operation.subject) (\(planned.reason))"
        }
        let more = plan.operations.count > 3 ? ", and \(plan.operations.count - 3) more" : ""
        let late = notUp.isEmpty ? "" : "; not carrying traffic yet: \(notUp.prefix(3).joined(separator: ", "))"
        let when = sinceChange.map { "\(FixedPoint.text($0, places: 3)) s after the change" } ?? "in \(FixedPoint.text(seconds, places: 3)) s"
        emit(Entry(event: "repaired", time: Self.timestamp(), cluster: cluster, namespaces: namespaces, triggers: Self.names(triggers),
                   seconds: (seconds * 1e6).rounded() / 1e6, summary: summary, operations: items,
                   sinceChange: sinceChange.map { ($0 * 1e6).rounded() / 1e6 }, notUp: notUp),
             text: "\(cluster): repaired \(when) (\(Self.names(triggers).joined(separator: ", "))): "
                 + "\(summary.create) created, \(summary.update) updated, \(summary.delete) deleted: \(shown.joined(separator: ", "))\(more)\(late)")
    }

    /// --verbose: a look that found the kernel equal to the file.
    func matched(cluster: String, triggers: Set<WatchSchedule.Trigger>, seconds: Double) {
        emit(Entry(event: "matched", time: Self.timestamp(), cluster: cluster, triggers: Self.names(triggers), seconds: (seconds * 1e6).rounded() / 1e6),
             text: "\(cluster): looked (\(Self.names(triggers).joined(separator: ", "))) in \(FixedPoint.text(seconds, places: 3)) s: nothing to do")
    }

    func failed(cluster: String, triggers: Set<WatchSchedule.Trigger>, error: String, retryIn: Double?) {
        let retry = retryIn.map { "; trying again in \(WatchDuration.text($0)) or when the file changes" } ?? ""
        emit(Entry(event: "failed", time: Self.timestamp(), cluster: cluster, triggers: Self.names(triggers), error: error),
             text: "\(cluster): could not repair (\(Self.names(triggers).joined(separator: ", "))): \(error.split(separator: "\n").joined(separator: "; "))\(retry)")
    }

    func fileInvalid(cluster: String, file: String) {
        emit(Entry(event: "file-invalid", time: Self.timestamp(), cluster: cluster, file: file,
                   error: "the file has errors (on stderr); the last valid version is kept"),
             text: "\(cluster): \(file) has errors (above); keeping the last valid version until it is fixed")
    }

    func stopped(cluster: String, signal: String) {
        emit(Entry(event: "stopped", time: Self.timestamp(), cluster: cluster, signal: signal),
             text: "\(cluster): stopped (\(signal)); the cluster is left as it is")
    }

    private func emit(_ entry: Entry, text: String) {
        switch format {
        case .text:
            Terminal.write("\(entry.time) \(text)")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(entry) else { return }
            Terminal.write(String(decoding: data, as: UTF8.self))
        }
        // Every line at once, also when stdout is a pipe or a file (journald, a log).
        fflush(nil)
    }

    private static func names(_ triggers: Set<WatchSchedule.Trigger>) -> [String] {
        triggers.sorted().map(\.rawValue)
    }

    /// Now, as RFC 3339 UTC with microseconds: "2026-12-07T01:50:12.345678Z".
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(Int(parts.tm_year) + 1900, 4))-\(padded(Int(parts.tm_mon) + 1, 2))-\(padded(Int(parts.tm_mday), 2))"
            + "T\(padded(Int(parts.tm_hour), 2)):\(padded(Int(parts.tm_min), 2)):\(padded(Int(parts.tm_sec), 2))"
            + ".\(padded(Int(now.tv_nsec) / 1000, 6))Z"
    }
}
