import CMNL

/// What a "new" request does when the object already exists (`ip link add` vs
/// `ip route replace` vs `bridge fdb append`).
public enum CreationMode: Sendable {
    /// Create; fail with EEXIST if it exists (NLM_F_CREATE | NLM_F_EXCL).
    case exclusive
    /// Create, or replace the existing one (NLM_F_CREATE | NLM_F_REPLACE).
    case replace
    /// Create, adding to existing ones where the kind allows several (NLM_F_CREATE |
    /// NLM_F_APPEND): an FDB entry with one more remote.
    case append

    var flags: UInt16 {
        switch self {
        case .exclusive: return UInt16(NLM_F_CREATE | NLM_F_EXCL)
        case .replace: return UInt16(NLM_F_CREATE | NLM_F_REPLACE)
        case .append: return UInt16(NLM_F_CREATE | NLM_F_APPEND)
        }
    }
}
