import Glibc

/// When `podnet watch` next looks at the cluster, and why: the decisions of its loop,
/// apart from the waiting itself. Times are seconds of a monotonic clock.
///
/// A change (a kernel notification, the file edited, a namespace come or gone) is
/// looked at once no other has come for `debounce` seconds, so that one `ip` command
/// or one editor's save is one repair; a stream of them waits at most `longestDelay`.
/// With nothing to do, the next look is the periodic resync, and nothing else wakes
/// the process.
struct WatchSchedule: Equatable {
    /// Why the cluster is looked at.
    enum Trigger: String, Comparable, CaseIterable {
        case start
        case file
        case kernel
        case namespaces
        case resync
        case retry
        /// The look that follows a repair: the notifications of watch's own changes
        /// are forgotten, so this one reads the kernel once more (and subscribes in the
        /// namespaces the repair made).
        case recheck

        static func < (a: Trigger, b: Trigger) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    var debounce: Double
    var longestDelay: Double
    /// nil: no periodic resync.
    var resyncInterval: Double?

    /// The changes not looked at yet, and when the first and the last came.
    private(set) var pending: Set<Trigger> = []
    private var firstChange: Double?
    private var lastChange: Double?
    private var immediate = false
    private(set) var nextResync: Double?
    /// After a failed look: no look before this, however many changes come (watch's
    /// own failed repair sends notifications too), except for an edited file.
    private(set) var retryAt: Double?
    private(set) var failures = 0

    init(debounce: Double, longestDelay: Double = 0.5, resyncInterval: Double?, now: Double) {
        self.debounce = debounce
        self.longestDelay = max(longestDelay, debounce)
        self.resyncInterval = resyncInterval
        nextResync = resyncInterval.map { now + $0 }
        pending = [.start]
        immediate = true
    }

    /// When the first change not looked at yet came (nil: none did; a resync or retry).
    var pendingSince: Double? { firstChange }

    /// A change came in.
    mutating func note(_ trigger: Trigger, at now: Double) {
        pending.insert(trigger)
        if firstChange == nil { firstChange = now }
        lastChange = now
        if trigger == .file { retryAt = nil }
    }

    /// Look again at once, without waiting for quiet.
    mutating func lookAgain(_ trigger: Trigger) {
        pending.insert(trigger)
        immediate = true
    }

    /// Whether to look now, and for which triggers (empty: not yet).
    func due(at now: Double) -> Set<Trigger> {
        if let retryAt {
            return now >= retryAt ? pending.union([.retry]) : []
        }
        if immediate { return pending }
        if let firstChange, let lastChange,
           now >= lastChange + debounce || now >= firstChange + longestDelay {
            return pending
        }
        if let nextResync, now >= nextResync { return pending.union([.resync]) }
        return []
    }

    /// Seconds until the next look is due (zero: now), or nil for none but a change.
    func timeout(at now: Double) -> Double? {
        var deadlines: [Double] = []
        if let retryAt {
            deadlines.append(retryAt)
        } else {
            if immediate { return 0 }
            if let firstChange, let lastChange { deadlines.append(min(lastChange + debounce, firstChange + longestDelay)) }
            if let nextResync { deadlines.append(nextResync) }
        }
        return deadlines.min().map { max(0, $0 - now) }
    }

    /// The cluster was looked at and is now equal to the file (or was already).
    mutating func lookedAt(at now: Double) {
        clear()
        failures = 0
        nextResync = resyncInterval.map { now + $0 }
    }

    /// The look failed: try again after a pause that doubles with each failure in a
    /// row (1 s, 2 s, 4 s, … at most a minute), or at once when the file is edited.
    mutating func failed(at now: Double) {
        clear()
        failures += 1
        retryAt = now + min(60, Double(1 << min(failures - 1, 6)))
    }

    /// Another podnet holds the cluster's lock: look again shortly, keeping the triggers.
    mutating func busy(at now: Double) {
        immediate = false
        retryAt = now + 0.2
    }

    private mutating func clear() {
        pending = []
        firstChange = nil
        lastChange = nil
        immediate = false
        retryAt = nil
    }

    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
