/// Everything a netlink request can end in besides success.
public enum NetlinkError: Error, Equatable, Sendable {
    /// The kernel refused the request.
    case kernel(KernelError)
    /// The kernel refused to create a link because it has no such link type.
    case missingLinkKind(MissingLinkKind)
    /// The socket failed (send, receive). Replies may have been lost: re-read the
    /// kernel's state rather than guess what happened.
    case socket(SystemCallError)
    /// A reply could not be parsed.
    case malformedReply(NetlinkParseError, request: String)
    /// A reply that belongs to no request in flight: another port, or a sequence
    /// number this connection never sent.
    case unexpectedReply(sequence: UInt32, portID: UInt32, request: String)
    /// The dump was interrupted (NLM_F_DUMP_INTR) on every attempt.
    case dumpInterrupted(request: String, attempts: Int)

    /// The kernel's refusal, whichever way it was classified.
    public var kernelError: KernelError? {
        switch self {
        case let .kernel(error): return error
        case let .missingLinkKind(missing): return missing.kernelError
        default: return nil
        }
    }

    /// The errno behind the failure, if there is one.
    public var code: Int32? {
        switch self {
        case let .socket(error): return error.code
        default: return kernelError?.code
        }
    }

    /// Classifies a refusal: a missing link kind is named, anything else passes as is.
    init(_ error: KernelError, for request: NetlinkRequest) {
        if let kind = request.createdLinkKind, let missing = MissingLinkKind(kind: kind, error: error) {
            self = .missingLinkKind(missing)
        } else {
            self = .kernel(error)
        }
    }
}

extension NetlinkError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .kernel(error): return error.description
        case let .missingLinkKind(missing): return missing.description
        case let .socket(error): return error.description
        case let .malformedReply(error, request): return "\(request): \(error)"
        case let .unexpectedReply(sequence, portID, request):
            return "\(request): unexpected reply with sequence number \(sequence) from port \(portID)"
        case let .dumpInterrupted(request, attempts):
            return "\(request): the dump was interrupted by concurrent changes \(attempts) times in a row"
        }
    }
}
