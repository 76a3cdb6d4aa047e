import Dispatch
import Synchronization

/// The queue of jobs one dedicated thread works through in order. Posting never
/// blocks; the thread blocks in `next()` until there is a job. Once closed, a mailbox
/// refuses new jobs, so its last job (the thread's "stop") stays last.
final class Mailbox<Job: Sendable>: Sendable {
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)

    private struct State {
        var jobs: [Job] = []
        var closed = false
    }

    /// Queues `job`; false (and the job dropped) once the mailbox is closed.
    func post(_ job: Job) -> Bool {
        let posted = state.withLock { state in
            if state.closed { return false }
            state.jobs.append(job)
            return true
        }
        if posted { available.signal() }
        return posted
    }

    /// Queues `last` and closes the mailbox; false if it was already closed.
    func close(with last: Job) -> Bool {
        let posted = state.withLock { state in
            if state.closed { return false }
            state.jobs.append(last)
            state.closed = true
            return true
        }
        if posted { available.signal() }
        return posted
    }

    /// The oldest job, waiting for one if there is none.
    func next() -> Job {
        available.wait()
        return state.withLock { $0.jobs.removeFirst() }
    }
}
