/// Numbers as people read them in podnet's messages, without Foundation's
/// `String(format:)` (the CLI links only FoundationEssentials: no ICU to load at
/// every start).
enum FixedPoint {
    /// `value` rounded to `places` decimals: `text(1.2345, places: 2)` is "1.23".
    static func text(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return sign + String(whole) }
        let digits = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: max(0, places - digits.count)) + digits
    }

    /// `text` right-aligned in `width` columns.
    static func text(_ value: Double, places: Int, width: Int) -> String {
        let text = text(value, places: places)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
