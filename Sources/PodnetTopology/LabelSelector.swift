/// A Kubernetes `LabelSelector`: every `matchLabels` pair and every requirement of
/// `matchExpressions` must hold. An empty selector selects everything.
public struct LabelSelector: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var matchLabels: [String: String]
    public var matchExpressions: [LabelSelectorRequirement]

    public init(matchLabels: [String: String] = [:], matchExpressions: [LabelSelectorRequirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// `{}`: selects every pod (or namespace).
    public static let everything = LabelSelector()

    public var isEmpty: Bool { matchLabels.isEmpty && matchExpressions.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        matchLabels.allSatisfy { labels[$0.key] == $0.value } && matchExpressions.allSatisfy { $0.matches(labels) }
    }

    /// As kubectl writes selectors: `app=web,tier in (a,b),!legacy`; `{}` for the empty one.
    public var description: String {
        guard !isEmpty else { return "{}" }
        let pairs = matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return (pairs + matchExpressions.map(\.description)).joined(separator: ",")
    }
}

/// One entry of `matchExpressions`.
public struct LabelSelectorRequirement: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public enum Operator: String, Codable, CaseIterable, Sendable {
        case `in` = "In"
        case notIn = "NotIn"
        case exists = "Exists"
        case doesNotExist = "DoesNotExist"

        /// In and NotIn compare against values; Exists and DoesNotExist take none.
        public var takesValues: Bool { self == .in || self == .notIn }
    }

    public var key: String
    public var `operator`: Operator
    public var values: [String]

    public init(key: String, operator: Operator, values: [String] = []) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }

    /// Kubernetes' meaning: `NotIn` also holds for a label that is absent.
    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[key]
        switch `operator` {
        case .in: return value.map(values.contains) ?? false
        case .notIn: return value.map { !values.contains($0) } ?? true
        case .exists: return value != nil
        case .doesNotExist: return value == nil
        }
    }

    public var description: String {
        switch `operator` {
        case .in: return "\(key) in (\(values.joined(separator: ",")))"
        case .notIn: return "\(key) notin (\(values.joined(separator: ",")))"
        case .exists: return key
        case .doesNotExist: return "!\(key)"
        }
    }
}
