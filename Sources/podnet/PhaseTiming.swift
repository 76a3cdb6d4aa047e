import Foundation

/// With PODNET_TIMING=1 in the environment, the milliseconds each phase of a
/// command took (since the process started, and since the previous phase) go to
/// stderr: where a slow apply spends its time, without a profiler.
enum PhaseTiming {
    static let enabled = ProcessInfo.processInfo.environment["PODNET_TIMING"] == "1"
    nonisolated(unsafe) private static var last = processStart

    /// The process's start, from /proc/self/stat (field 22, in clock ticks since boot).
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
        FileHandle.standardError.write(Data(String(format: "podnet: timing: %7.1f ms %7.1f ms  %@\n",
                                                   (now - processStart) * 1000, (now - last) * 1000, phase()).utf8))
        last = now
    }
}
