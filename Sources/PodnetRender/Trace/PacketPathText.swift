/// A packet's path as people read it: numbered hops, each with the route or rules
/// behind it indented below, then how it ended, then the reply's path.
public enum PacketPathText {
    public static func render(_ path: PacketPath, request: TraceRequest, origin: String, verbose: Bool = true) -> String {
        var lines = ["trace: \(request.sourceName) → \(request.destinationName): \(request.packet) (\(origin))", ""]
        lines += hops(path.hops, verbose: verbose)
        lines.append("")
        lines.append("=> " + outcome(path.outcome))
        if let reply = path.reply, let replyOutcome = path.replyOutcome {
            lines.append("")
            lines.append("reply:")
            lines += hops(reply, verbose: verbose)
            lines.append("")
            lines.append("=> reply " + outcome(replyOutcome))
        }
        return lines.joined(separator: "\n")
    }

    static func hops(_ hops: [PacketPath.Hop], verbose: Bool) -> [String] {
        var lines: [String] = []
        for (index, hop) in hops.enumerated() {
            lines.append("\(String(index + 1).leftPadded(to: 3)). [\(hop.namespace)] \(hop.text)")
            if verbose {
                for detail in hop.details { lines.append("        \(detail)") }
                if hop.kind == .netfilter || hop.kind == .decapsulate { lines.append("        packet now \(hop.packet)") }
            }
        }
        return lines
    }

    static func outcome(_ outcome: PacketPath.Outcome) -> String {
        switch outcome {
        case .delivered(let namespace): "delivered in \(namespace)"
        case .dropped(let reason): "dropped: \(reason)"
        case .rejected(let reason): reason
        case .left(let device): "left this host by \(device)"
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

extension PacketPath: Encodable {
    enum Keys: String, CodingKey { case hops, outcome, reason, namespace, reply, replyOutcome, kind, text, packet, details, device, route }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(hops, forKey: .hops)
        try Self.encode(outcome, into: container.nestedContainer(keyedBy: Keys.self, forKey: .outcome))
        if let reply, let replyOutcome {
            try container.encode(reply, forKey: .reply)
            try Self.encode(replyOutcome, into: container.nestedContainer(keyedBy: Keys.self, forKey: .replyOutcome))
        }
    }

    static func encode(_ outcome: Outcome, into container: KeyedEncodingContainer<Keys>) throws {
        var container = container
        switch outcome {
        case .delivered(let namespace):
            try container.encode("delivered", forKey: .kind)
            try container.encode(namespace, forKey: .namespace)
        case .dropped(let reason):
            try container.encode("dropped", forKey: .kind)
            try container.encode(reason, forKey: .reason)
        case .rejected(let reason):
            try container.encode("rejected", forKey: .kind)
            try container.encode(reason, forKey: .reason)
        case .left(let device):
            try container.encode("left", forKey: .kind)
            try container.encode(device, forKey: .device)
        }
    }
}

extension PacketPath.Hop: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: PacketPath.Keys.self)
        try container.encode(kind.rawValue, forKey: .kind)
        try container.encode(namespace, forKey: .namespace)
        try container.encode(text, forKey: .text)
        try container.encode(packet, forKey: .packet)
        try container.encode(details, forKey: .details)
        try container.encodeIfPresent(route, forKey: .route)
    }
}
