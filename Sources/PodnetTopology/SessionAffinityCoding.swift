/// `podnet validate --output json` writes session affinity in the file's words:
/// `{"type": "None"}` or `{"type": "ClientIP", "timeoutSeconds": 10800}`, rather
/// than Swift's spelling of an enum case.
extension SessionAffinity {
    private enum CodingKeys: String, CodingKey { case type, timeoutSeconds }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case SessionAffinitySpelling.none.rawValue:
            self = .none
        case SessionAffinitySpelling.clientIP.rawValue:
            self = .clientIP(timeoutSeconds: try container.decode(Int.self, forKey: .timeoutSeconds))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container,
                                                   debugDescription: "unknown session affinity '\(type)'; expected None or ClientIP")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .none:
            try container.encode(SessionAffinitySpelling.none.rawValue, forKey: .type)
        case .clientIP(let timeout):
            try container.encode(SessionAffinitySpelling.clientIP.rawValue, forKey: .type)
            try container.encode(timeout, forKey: .timeoutSeconds)
        }
    }
}
