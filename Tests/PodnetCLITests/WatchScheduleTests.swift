@testable import podnet
import Testing

/// When `podnet watch` looks at the cluster: debounce, the longest delay, the
/// periodic resync, backing off after failures, another podnet holding the lock.
@Suite struct WatchScheduleTests {
    func started(resync: Double? = 300) -> WatchSchedule {
        var schedule = WatchSchedule(debounce: 0.05, longestDelay: 0.5, resyncInterval: resync, now: 0)
        #expect(schedule.due(at: 0) == [.start])
        #expect(schedule.timeout(at: 0) == 0)
        schedule.lookedAt(at: 1)
        return schedule
    }

    @Test func idleWaitsForTheResyncAndNothingElse() {
        let schedule = started()
        #expect(schedule.due(at: 2) == [])
        #expect(schedule.timeout(at: 2) == 299)
        #expect(schedule.due(at: 301) == [.resync])
        #expect(started(resync: nil).timeout(at: 2) == nil)
    }

    @Test func aChangeIsLookedAtOnceQuietForTheDebounce() {
        var schedule = started()
        schedule.note(.kernel, at: 10)
        #expect(schedule.due(at: 10.02) == [])
        schedule.note(.namespaces, at: 10.03)
        #expect(schedule.due(at: 10.07) == [])
        #expect(abs(schedule.timeout(at: 10.07)! - 0.01) < 1e-9)
        #expect(schedule.due(at: 10.08) == [.kernel, .namespaces])
        schedule.lookedAt(at: 10.1)
        #expect(schedule.due(at: 10.2) == [])
        #expect(schedule.timeout(at: 10.2)! > 299)
    }

    @Test func aStreamOfChangesWaitsAtMostTheLongestDelay() {
        var schedule = started()
        for step in 0..<20 { schedule.note(.kernel, at: 20 + Double(step) * 0.04) }
        #expect(schedule.due(at: 20.49) == [])
        #expect(schedule.due(at: 20.5) == [.kernel])
    }

    @Test func aRepairIsFollowedByALookAtOnce() {
        var schedule = started()
        schedule.lookedAt(at: 30)
        schedule.lookAgain(.recheck)
        #expect(schedule.timeout(at: 30) == 0)
        #expect(schedule.due(at: 30) == [.recheck])
    }

    @Test func failuresBackOffAndAnEditedFileEndsTheWait() {
        var schedule = started()
        schedule.note(.kernel, at: 40)
        schedule.failed(at: 40.1)
        #expect(schedule.timeout(at: 40.1) == 1)
        // The failed repair's own notifications do not bring the retry forward.
        schedule.note(.kernel, at: 40.2)
        #expect(schedule.due(at: 40.9) == [])
        #expect(schedule.due(at: 41.1) == [.kernel, .retry])
        schedule.failed(at: 41.1)
        #expect(schedule.timeout(at: 41.1) == 2)
        schedule.failed(at: 43.1)
        #expect(schedule.timeout(at: 43.1) == 4)
        for _ in 0..<10 { schedule.failed(at: 50) }
        #expect(schedule.timeout(at: 50) == 60)
        schedule.note(.file, at: 51)
        #expect(schedule.due(at: 51.06) == [.file])
        schedule.lookedAt(at: 51.1)
        schedule.note(.kernel, at: 52)
        schedule.failed(at: 52)
        #expect(schedule.timeout(at: 52) == 1)
    }

    @Test func aHeldLockIsTriedAgainShortlyKeepingTheTriggers() {
        var schedule = started()
        schedule.note(.file, at: 60)
        #expect(schedule.due(at: 60.1) == [.file])
        schedule.busy(at: 60.1)
        #expect(schedule.due(at: 60.2) == [])
        #expect(schedule.due(at: 60.31) == [.file, .retry])
    }
}

@Suite struct WatchDurationTests {
    @Test(arguments: [("50ms", 0.05), ("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("1.5s", 1.5), ("2M", 120.0)])
    func durationsParse(text: String, seconds: Double) {
        #expect(WatchDuration(argument: text)?.seconds == seconds)
    }

    @Test(arguments: ["off", "0"])
    func offMeansNone(text: String) {
        #expect(WatchDuration(argument: text) == WatchDuration(seconds: nil))
    }

    @Test(arguments: ["", "5", "m", "-1s", "five minutes", "1d"])
    func mistakesAreRefused(text: String) {
        #expect(WatchDuration(argument: text) == nil)
    }

    @Test func durationsPrintInTheirLargestWholeUnit() {
        #expect([300, 0.05, 90, 3600, 1.5].map(WatchDuration.text) == ["5m", "50ms", "90s", "1h", "1.500s"])
    }
}
