import PodnetAddress
import PodnetYAML

/// `namespaces[]`, `pods[].namespace`/`ports`, `services[].namespace` and
/// `networkPolicies[]` as written: every field optional, every field with its
/// position. The decoder fills them; `NamespaceResolver` and
/// `NetworkPolicyResolver` check them.
struct NamespaceSpec {
    var mark: SourceMark
    var name: Located<String>? = nil
    var labels: Located<[String: String]>? = nil
}

struct PodPortSpec {
    var mark: SourceMark
    var name: Located<String>? = nil
    var port: Located<Int>? = nil
    var `protocol`: Located<PortProtocol>? = nil
}

struct NetworkPolicySpec {
    var mark: SourceMark
    /// Some part was present but unreadable (already reported).
    var invalid = false
    var name: Located<String>? = nil
    var namespace: Located<String>? = nil
    var podSelector: LabelSelectorSpec? = nil
    var policyTypes: Located<[Located<PolicyType>]>? = nil
    var ingress: Located<[PolicyRuleSpec]>? = nil
    var egress: Located<[PolicyRuleSpec]>? = nil
}

struct PolicyRuleSpec {
    var mark: SourceMark
    /// `from` or `to`; nil when left out.
    var peers: Located<[PolicyPeerSpec]>? = nil
    var ports: Located<[PolicyPortSpec]>? = nil
}

struct PolicyPeerSpec {
    var mark: SourceMark
    var podSelector: LabelSelectorSpec? = nil
    var namespaceSelector: LabelSelectorSpec? = nil
    var ipBlock: IPBlockSpec? = nil
}

struct IPBlockSpec {
    var mark: SourceMark
    var cidr: Located<IPPrefix>? = nil
    var except: [Located<IPPrefix>] = []
}

struct PolicyPortSpec {
    var mark: SourceMark
    var `protocol`: Located<PortProtocol>? = nil
    var port: Located<PortReference>? = nil
    var endPort: Located<Int>? = nil
}

struct LabelSelectorSpec {
    var mark: SourceMark
    var matchLabels: [String: String] = [:]
    var matchExpressions: [LabelRequirementSpec] = []
}

struct LabelRequirementSpec {
    var mark: SourceMark
    var key: Located<String>? = nil
    var `operator`: Located<LabelSelectorRequirement.Operator>? = nil
    var values: Located<[Located<String>]>? = nil
}
