import PodnetAddress
import PodnetYAML

/// A pool of one family's host addresses, handed out lowest first: `AddressPool`
/// (IPv4) or `IPv6AddressPool`.
protocol HostAddressPool {
    associatedtype Address: Hashable
    func isHost(_ address: Address) -> Bool
    func isTaken(_ address: Address) -> Bool
    mutating func reserve(_ address: Address)
    mutating func next() -> Address?
}

extension AddressPool: HostAddressPool {}
extension IPv6AddressPool: HostAddressPool {}

/// How every underlay address of a node or client is given, in either family:
/// written ones first (each checked, reported at its line and column), then live
/// ones (sticky: a member keeps the address it holds while it is free), then the
/// next free ones in declaration order.
struct StickyAddressAllocation<Pool: HostAddressPool> {
    /// One member asking: its name, the address written for it, and its position.
    struct Request {
        var name: Located<String>
        var written: Located<Pool.Address>?
        var mark: SourceMark
    }

    /// The messages of the member kind's errors.
    struct Problems {
        /// Why a written address cannot be had, before the others' are considered
        /// (outside the prefix, not a host, a node's); nil when it can.
        var refusal: (Located<Pool.Address>, Located<String>) -> String?
        /// The written address is another member's, written earlier.
        var taken: (_ address: Pool.Address, _ by: Located<String>, _ member: Located<String>) -> String
        /// The pool ran out for a member.
        var exhausted: (_ member: String) -> String
    }

    let log: DiagnosticLog

    /// - Parameters:
    ///   - live: the addresses members hold now, by name.
    ///   - held: addresses fresh allocation skips (another kind's, written or live);
    ///     a written or live one still wins.
    func allocate(_ requests: [Request], pool: inout Pool, live: [String: Pool.Address], held: Set<Pool.Address> = [],
                  problems: Problems) -> [String: Pool.Address] {
        var result: [String: Pool.Address] = [:]
        var owners: [Pool.Address: Located<String>] = [:]
        for request in requests {
            guard let address = request.written else { continue }
            if let refusal = problems.refusal(address, request.name) {
                log.error(address.mark, refusal)
            } else if let owner = owners[address.value] {
                log.error(address.mark, problems.taken(address.value, owner, request.name))
            } else {
                owners[address.value] = request.name
                pool.reserve(address.value)
                result[request.name.value] = address.value
            }
        }
        var pending: [Request] = []
        for request in requests where request.written == nil {
            if let address = live[request.name.value], pool.isHost(address), !pool.isTaken(address) {
                pool.reserve(address)
                result[request.name.value] = address
            } else {
                pending.append(request)
            }
        }
        for address in held where !pool.isTaken(address) { pool.reserve(address) }
        for request in pending {
            guard let address = pool.next() else {
                log.error(request.mark, problems.exhausted(request.name.value))
                continue
            }
            result[request.name.value] = address
        }
        return result
    }
}
