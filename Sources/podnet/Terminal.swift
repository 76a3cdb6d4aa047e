import FoundationEssentials
import Glibc

/// Where human-facing text goes, and whether it may be coloured.
enum Terminal {
    static func writeError(_ text: String) {
        var bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    static func write(_ text: String, terminator: String = "\n") {
        print(text, terminator: terminator)
    }

    /// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
    static var stderrSupportsColor: Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(STDERR_FILENO) == 1 && environment["NO_COLOR"] == nil && (environment["TERM"] ?? "dumb") != "dumb"
    }
}
