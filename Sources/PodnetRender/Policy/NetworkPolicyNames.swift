import PodnetAddress
import PodnetPolicy
import PodnetTopology

/// Names inside the NetworkPolicy table (`inet podnet-CLUSTER`): fixed names for the
/// dispatch, `to-POD` / `from-POD` for an isolated pod's ingress and egress, and
/// `ingress-NS/POLICY` / `egress-NS/POLICY` for a policy's rules, which every pod
/// it isolates jumps to. Pod and policy names cannot hold a `/`, so the two kinds
/// never meet. A set holds one family's addresses: an IPv6 set's kind word ends in
/// `6`, as nft's `ip6` does (`pods6-HASH`, `port6-http`). IPv4's names, those of
/// an IPv4-only cluster, have a dash right after the kind word, so no name of one
/// family is ever the other's, whatever a port is named.
public enum NetworkPolicyNames {
    /// The same name as the service proxy's table, in family inet: the name is the
    /// ownership mark, the family keeps the two apart.
    public static func table(cluster: String) -> String { "podnet-\(cluster)" }

    // Base chains, named after their hook.
    public static let forward = "forward"
    public static let output = "output"

    // The dispatch.
    public static let podPolicies = "pod-policies"
    public static let ingress = "ingress"
    public static let egressPods = "egress-pods"
    public static let ingressPods = "ingress-pods"

    /// `egress-pods`, `egress-pods6`.
    public static func egressPods(_ family: AddressFamily) -> String { egressPods + six(family) }
    public static func ingressPods(_ family: AddressFamily) -> String { ingressPods + six(family) }

    /// The chain of a pod isolated for ingress: every connection *to* it.
    public static func ingressChain(pod: String) -> String { "to-\(pod)" }
    /// The chain of a pod isolated for egress: every connection *from* it.
    public static func egressChain(pod: String) -> String { "from-\(pod)" }

    /// `ingress-prod/allow-web`: one direction's rules of one policy.
    public static func policyChain(_ policy: NetworkPolicy, _ type: PolicyType) -> String {
        "\(type.rulesKey)-\(policy.qualifiedName)"
    }

    /// `pods-HASH`: the addresses of the pods a selection picks (its description is
    /// the set's comment). Named by a hash of the selection, so that it keeps its
    /// name whichever policies share it and in whatever order they are written.
    /// `pods6-HASH` holds the same pods' IPv6 addresses.
    public static func selectionSet(_ selection: PodSelection, _ family: AddressFamily = .ipv4) -> String {
        "pods\(six(family))-\(NFTablesProxyNames.hash(selection.description))"
    }

    /// `port-http`: every pod's port of that name, as `address . protocol . port`;
    /// `port6-http` with the pods' IPv6 addresses.
    public static func namedPortSet(_ name: String, _ family: AddressFamily = .ipv4) -> String { "port\(six(family))-\(name)" }

    static func six(_ family: AddressFamily) -> String { family == .ipv4 ? "" : "6" }
}
