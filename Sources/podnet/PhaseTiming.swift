import FoundationEssentials
import Glibc

/// With PODNET_TIMING=1 in the environment, the milliseconds each phase of a
/// command took (since the process started, and since the previous phase) go to
/// stderr: where a slow apply spends its time, without a profiler.
enum PhaseTiming {
    static let enabled = ProcessInfo.processInfo.environment["PODNET_TIMING"] == "1"
    nonisolated(unsafe) private static var last = processStart

    /// The process's start, from /proc/self/stat (field 22, in clock ticks since boot:
    /// 10 ms granularity, so the first column is that coarse; the second is exact).
    private static let processStart: Double = {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let rest = stat.split(separator: ")").last else { return uptime() }
        let fields = rest.split(separator: " ")
        // Field 22 overall is the 20th after the ")" that closes the command name.
        guard fields.count > 19, let ticks = Double(fields[19]) else { return uptime() }
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }()

    private static func uptime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func mark(_ phase: @autoclosure () -> String) {
        guard enabled else { return }
        let now = uptime()
        let total = FixedPoint.text((now - processStart) * 1000, places: 1, width: 7)
        let step = FixedPoint.text((now - last) * 1000, places: 1, width: 7)
        Terminal.writeError("podnet: timing: \(total) ms \(step) ms  \(phase())")
        last = now
    }
}
