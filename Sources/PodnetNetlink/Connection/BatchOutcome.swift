/// What became of one request of a batch.
public enum BatchOutcome: Sendable, Equatable {
    /// The kernel acknowledged it. `replies` holds what it sent before the ACK: the
    /// object for a GET, or the created object when the request asked for NLM_F_ECHO.
    case succeeded(replies: [NetlinkMessage])
    /// The kernel refused it.
    case failed(NetlinkError)
    /// Never sent: an earlier request failed and the batch stops at the first error.
    case notSent

    public var isSuccess: Bool {
        if case .succeeded = self { return true }
        return false
    }

    public var error: NetlinkError? {
        if case let .failed(error) = self { return error }
        return nil
    }
}

/// How a batch treats a refused request.
public enum BatchPolicy: Sendable {
    /// Send nothing more after the datagram in which a request failed. The requests
    /// packed behind it in the same datagram were already processed by the kernel
    /// (rtnetlink has no transactions) and report their own outcomes.
    case stopAtFirstError
    /// Send everything; report every outcome.
    case continueAfterErrors
}

/// The outcomes of a batch, one per request, in request order.
public struct BatchResult: Sendable, Equatable {
    public var outcomes: [BatchOutcome]

    public init(outcomes: [BatchOutcome]) {
        self.outcomes = outcomes
    }

    /// The first refused request (by position in the batch) and why.
    public var firstFailure: (index: Int, error: NetlinkError)? {
        for (index, outcome) in outcomes.enumerated() {
            if case let .failed(error) = outcome { return (index, error) }
        }
        return nil
    }

    public var allSucceeded: Bool { outcomes.allSatisfy(\.isSuccess) }
}
