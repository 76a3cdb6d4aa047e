/// Where the kernel's path differs from the model's (`trace --live`): hop by hop,
/// the namespace and what happened there, then the outcome, the reply's too.
public enum TraceComparison {
    public static func differences(model: PacketPath, kernel: PacketPath) -> [String] {
        var lines = compare(model.hops, kernel.hops, label: "hop")
        if model.outcome != kernel.outcome {
            lines.append("outcome: the file's \(PacketPathText.outcome(model.outcome)); the kernel's \(PacketPathText.outcome(kernel.outcome))")
        }
        lines += compare(model.reply ?? [], kernel.reply ?? [], label: "reply hop")
        if model.replyOutcome != kernel.replyOutcome, let a = model.replyOutcome ?? kernel.replyOutcome {
            let b = model.replyOutcome == nil ? "none" : PacketPathText.outcome(model.replyOutcome!)
            let c = kernel.replyOutcome == nil ? "none" : PacketPathText.outcome(kernel.replyOutcome!)
            _ = a
            lines.append("reply outcome: the file's \(b); the kernel's \(c)")
        }
        return lines
    }

    static func compare(_ model: [PacketPath.Hop], _ kernel: [PacketPath.Hop], label: String) -> [String] {
        var lines: [String] = []
        for index in 0..<max(model.count, kernel.count) {
            let a = index < model.count ? model[index] : nil
            let b = index < kernel.count ? kernel[index] : nil
            guard a != b else { continue }
            // The first difference explains the rest: the paths have parted.
            lines.append("\(label) \(index + 1): the file's [\(a?.namespace ?? "-")] \(a?.text ?? "(none)"); the kernel's [\(b?.namespace ?? "-")] \(b?.text ?? "(none)")")
            break
        }
        return lines
    }
}
