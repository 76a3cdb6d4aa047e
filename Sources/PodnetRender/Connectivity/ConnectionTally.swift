/// The connections from one pod (or from all pods) to one target, counted by
/// what they saw.
public struct ConnectionTally: Sendable, Equatable {
    /// Answers per answering pod.
    public private(set) var answers: [String: Int] = [:]
    public private(set) var refused = 0
    public private(set) var unreachable = 0
    /// Timeouts, of which `acceptedTimeouts` were accepted (TCP) but never answered.
    public private(set) var timeouts = 0
    public private(set) var acceptedTimeouts = 0
    public private(set) var failed = 0
    /// The distinct reasons given by unreachable and failed connections, as first seen.
    public private(set) var reasons: [String] = []
    /// Answered connections per source address the listener saw (those it told).
    public private(set) var sources: [String: Int] = [:]

    public init() {}

    public init(_ observations: some Sequence<ConnectionObservation>) {
        for observation in observations { add(observation) }
    }

    public var answered: Int { answers.values.reduce(0, +) }
    public var total: Int { answered + refused + unreachable + timeouts + failed }

    public mutating func add(_ observation: ConnectionObservation) {
        switch observation {
        case .answered(let pod, let source):
            answers[pod, default: 0] += 1
            if let source { sources[source.description, default: 0] += 1 }
        case .refused: refused += 1
        case .unreachable(let reason): unreachable += 1; note(reason)
        case .timedOut(let connected): timeouts += 1; if connected { acceptedTimeouts += 1 }
        case .failed(let reason): failed += 1; note(reason)
        }
    }

    public mutating func add(_ other: ConnectionTally) {
        for (pod, count) in other.answers { answers[pod, default: 0] += count }
        for (source, count) in other.sources { sources[source, default: 0] += count }
        refused += other.refused
        unreachable += other.unreachable
        timeouts += other.timeouts
        acceptedTimeouts += other.acceptedTimeouts
        failed += other.failed
        for reason in other.reasons { note(reason) }
    }

    private mutating func note(_ reason: String) {
        if !reasons.contains(reason) { reasons.append(reason) }
    }

    /// Each answering pod's count and its share of the answered connections in whole
    /// percent, summing to exactly 100 (largest remainders round up). Pods in
    /// `order` come first in that order, even with no answer; others follow by name.
    public func shares(order: [String] = []) -> [Share] {
        let names = order + answers.keys.filter { !order.contains($0) }.sorted()
        let counts = names.map { answers[$0] ?? 0 }
        return zip(names, zip(counts, Self.percentages(counts))).map { Share(pod: $0, count: $1.0, percent: $1.1) }
    }

    public struct Share: Equatable, Sendable {
        public let pod: String
        public let count: Int
        public let percent: Int
    }

    /// Whole percentages of `counts` summing to 100 (all zero when the counts are):
    /// each gets its floor, and the largest remainders get one more (Hamilton's
    /// method), so 1/3 each shows as 34, 33, 33 rather than 33, 33, 33.
    public static func percentages(_ counts: [Int]) -> [Int] {
        let total = counts.reduce(0, +)
        guard total > 0 else { return counts.map { _ in 0 } }
        var floors = counts.map { $0 * 100 / total }
        let remainders = counts.map { $0 * 100 % total }
        let missing = 100 - floors.reduce(0, +)
        let order = counts.indices.sorted { remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1 }
        for index in order.prefix(missing) { floors[index] += 1 }
        return floors
    }
}
