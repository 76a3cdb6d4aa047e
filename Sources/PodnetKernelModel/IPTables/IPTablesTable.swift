/// The iptables tables podnet writes: `nat` for the service proxy's DNAT and
/// masquerade, `filter` for rejecting ports without endpoints.
public enum IPTablesTable: String, Hashable, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    // Declaration order is iptables-save's and kube-proxy's order: filter, then nat.
    case filter
    case nat

    /// The chains the kernel gives the table (IPv4); every other chain is made by someone.
    public var builtinChains: [String] {
        switch self {
        case .filter: return ["INPUT", "FORWARD", "OUTPUT"]
        case .nat: return ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]
        }
    }

    public func isBuiltin(_ chain: String) -> Bool { builtinChains.contains(chain) }

    public var description: String { rawValue }

    public static func < (lhs: IPTablesTable, rhs: IPTablesTable) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
