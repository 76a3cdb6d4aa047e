import PodnetNetlink

/// Lookups over live dumps, for the integration tests.
extension NetlinkConnection {
    func requireLink(_ name: String) throws -> LinkMessage {
        guard let link = try links().first(where: { $0.name == name }) else {
            throw LookupFailure(what: "link \(name)")
        }
        return link
    }
}

struct LookupFailure: Error, CustomStringConvertible {
    var what: String
    var description: String { "\(what) not found" }
}

/// The `key` of the JSON object in `objects` whose `match` field equals `value`.
func field(_ objects: [[String: Any]], where match: String, is value: String) throws -> [String: Any] {
    guard let object = objects.first(where: { ($0[match] as? String) == value }) else {
        throw LookupFailure(what: "\(match)=\(value) in iproute2 output")
    }
    return object
}
