/// A value that belongs to one address family: `IPAddress`, `IPPrefix`.
public protocol AddressFamilyTagged {
    var family: AddressFamily { get }
}

extension IPAddress: AddressFamilyTagged {}
extension IPPrefix: AddressFamilyTagged {}

/// One value per family, as TOPOLOGY.md's dual-stack fields take them (`clusterCIDR`,
/// `pods[].ip`, ...): one value, or a list of one IPv4 and one IPv6 value in either
/// order. The first is the primary family's, as in Kubernetes, where the first
/// `clusterCIDR` decides a cluster's primary family and `status.podIP`.
public struct PerFamily<Value: AddressFamilyTagged & Hashable & Sendable>: Hashable, Sendable {
    /// One or two values of different families, in the order written.
    public let values: [Value]

    public init(_ value: Value) { values = [value] }

    /// - Throws: `PerFamilyError` when `values` is empty, longer than two, or holds
    ///   two of one family; its indexes point into `values`, for a message that
    ///   names the entry at fault.
    public init(_ values: [Value]) throws(PerFamilyError) {
        guard !values.isEmpty else { throw .empty }
        if values.count == 2, values[0].family == values[1].family {
            throw .repeatedFamily(values[0].family, first: 0, second: 1)
        }
        guard values.count <= 2 else { throw .tooMany(values.count) }
        self.values = values
    }

    /// The primary family's value: the first written.
    public var primary: Value { values[0] }

    public var families: [AddressFamily] { values.map(\.family) }

    public var isDualStack: Bool { values.count == 2 }

    public subscript(family: AddressFamily) -> Value? { values.first { $0.family == family } }
}

extension PerFamily: Sequence {
    public func makeIterator() -> IndexingIterator<[Value]> { values.makeIterator() }
}

extension PerFamily where Value == IPAddress {
    public var ipv4: IPv4Address? { self[.ipv4]?.ipv4 }
    public var ipv6: IPv6Address? { self[.ipv6]?.ipv6 }
}

extension PerFamily where Value == IPPrefix {
    public var ipv4: IPv4Prefix? { self[.ipv4]?.ipv4 }
    public var ipv6: IPv6Prefix? { self[.ipv6]?.ipv6 }

    /// Whether `address` lies in this family's prefix; false for a family not here.
    public func contains(_ address: IPAddress) -> Bool { self[address.family]?.contains(address) ?? false }
}

extension PerFamily: CustomStringConvertible {
    /// `10.200.0.0/16` or `10.200.0.0/16,2001:db8:42::/48`, as kubectl prints dual-stack values.
    public var description: String { values.map { "\($0)" }.joined(separator: ",") }
}

/// Encoded as the topology file writes it: one value alone, two as a list; decoded
/// from either.
extension PerFamily: Codable where Value: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let values: [Value]
        do {
            self.init(try container.decode(Value.self))
            return
        } catch DecodingError.typeMismatch {
            // Not one value, so a list; a bad single value keeps its own error.
            values = try container.decode([Value].self)
        }
        do {
            try self.init(values)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
    }
}

/// Why a list is not one value per family; descriptions written for the user.
public enum PerFamilyError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case tooMany(Int)
    /// Entries `first` and `second` (indexes into the list) are both of `family`.
    case repeatedFamily(AddressFamily, first: Int, second: Int)

    public var description: String {
        switch self {
        case .empty:
            return "the list is empty; give one value, or one IPv4 and one IPv6 value"
        case .tooMany(let count):
            return "the list has \(count) values; give at most one IPv4 and one IPv6 value"
        case .repeatedFamily(let family, _, _):
            return "the list has two \(family) values; give at most one of each family"
        }
    }
}
