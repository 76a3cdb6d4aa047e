import ArgumentParser

/// A duration on the command line: a number and a unit, `50ms`, `30s`, `5m`, `1h`;
/// `0` or `off` for none.
struct WatchDuration: ExpressibleByArgument, Equatable {
    /// nil: off.
    var seconds: Double?

    init(seconds: Double?) { self.seconds = seconds }

    init?(argument: String) {
        let text = argument.lowercased()
        if text == "off" || text == "0" { seconds = nil; return }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        guard let (unit, scale) = units.first(where: { text.hasSuffix($0.0) }),
              let value = Double(text.dropLast(unit.count)), value.isFinite, value > 0 else { return nil }
        seconds = value * scale
    }

    var defaultValueDescription: String { seconds.map(Self.text) ?? "off" }

    /// 300 → "5m", 0.05 → "50ms", 90 → "90s".
    static func text(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(FixedPoint.text(seconds, places: 3))s"
    }
}
