import Dispatch

/// One value passed from one thread to another that waits for it: the waiter blocks
/// in `take()` until the producer calls `put(_:)` once.
///
/// Unchecked Sendable on purpose, like DispatchQueue.sync: the value may be
/// non-Sendable, but the producer writes it before signalling and never touches it
/// again, and the consumer reads it only after the signal, so the two never overlap.
final class Handoff<Value>: @unchecked Sendable {
    private var value: Value?
    private let ready = DispatchSemaphore(value: 0)

    init() {}

    func put(_ value: Value) {
        self.value = value
        ready.signal()
    }

    func take() -> Value {
        ready.wait()
        defer { value = nil }
        return value!
    }
}
