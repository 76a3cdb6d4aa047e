import Foundation

/// Where human-facing text goes, and whether it may be coloured.
enum Terminal {
    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func write(_ text: String) {
        print(text)
    }

    /// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
    static var stderrSupportsColor: Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(STDERR_FILENO) == 1 && environment["NO_COLOR"] == nil && (environment["TERM"] ?? "dumb") != "dumb"
    }
}
