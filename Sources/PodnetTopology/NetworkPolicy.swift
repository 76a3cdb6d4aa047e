import PodnetAddress

/// `networkPolicies[]`: a Kubernetes `NetworkPolicy`, with Kubernetes' meaning to
/// the letter (TOPOLOGY.md, "Namespaces and NetworkPolicy"). Defaults are applied:
/// `policyTypes` is never empty, and an empty `from`/`to`/`ports` is kept as empty,
/// which Kubernetes reads as "every peer" / "every port".
public struct NetworkPolicy: Codable, Equatable, Sendable {
    public var name: String
    public var namespace: String
    /// The pods of `namespace` the policy isolates; `{}` selects all of them.
    public var podSelector: LabelSelector
    /// As written, or Kubernetes' default: `Ingress`, plus `Egress` when the policy
    /// has a non-empty `egress` section.
    public var policyTypes: [PolicyType]
    public var ingress: [NetworkPolicyRule]
    public var egress: [NetworkPolicyRule]

    public init(name: String, namespace: String = Namespace.defaultName, podSelector: LabelSelector = .everything,
                policyTypes: [PolicyType]? = nil, ingress: [NetworkPolicyRule] = [], egress: [NetworkPolicyRule] = []) {
        self.name = name
        self.namespace = namespace
        self.podSelector = podSelector
        self.policyTypes = policyTypes.flatMap { $0.isEmpty ? nil : $0 } ?? NetworkPolicy.defaultPolicyTypes(egress: egress)
        self.ingress = ingress
        self.egress = egress
    }

    /// Kubernetes' defaulting (`SetDefaults_NetworkPolicy`): a policy without
    /// `policyTypes` is an Ingress policy, and also an Egress one when it has egress
    /// rules. An empty `egress: []` counts as none, as it does there.
    public static func defaultPolicyTypes(egress: [NetworkPolicyRule]) -> [PolicyType] {
        egress.isEmpty ? [.ingress] : [.ingress, .egress]
    }

    /// `NAMESPACE/NAME`, as kubectl and `check --explain` name a policy.
    public var qualifiedName: String { "\(namespace)/\(name)" }

    public func affects(_ type: PolicyType) -> Bool { policyTypes.contains(type) }

    /// The rules of one direction: `ingress` or `egress`.
    public func rules(_ type: PolicyType) -> [NetworkPolicyRule] { type == .ingress ? ingress : egress }
}

public enum PolicyType: String, Codable, CaseIterable, Sendable {
    case ingress = "Ingress"
    case egress = "Egress"

    /// The key of a rule's peers in this direction: `from` or `to`.
    public var peersKey: String { self == .ingress ? "from" : "to" }
    /// The key of the rules in a policy: `ingress` or `egress`.
    public var rulesKey: String { self == .ingress ? "ingress" : "egress" }
}

/// One entry of `ingress[]` (peers are its `from`) or `egress[]` (peers are its `to`).
/// Traffic matches when it matches one of the peers and one of the ports.
public struct NetworkPolicyRule: Codable, Equatable, Sendable {
    /// Empty (missing or `[]`): every peer, as Kubernetes reads it.
    public var peers: [NetworkPolicyPeer]
    /// Empty (missing or `[]`): every port and protocol.
    public var ports: [NetworkPolicyPort]

    public init(peers: [NetworkPolicyPeer] = [], ports: [NetworkPolicyPort] = []) {
        self.peers = peers
        self.ports = ports
    }
}

/// One entry of `from`/`to`. Exactly one of two shapes (validation ensures it):
/// selectors (a `podSelector`, a `namespaceSelector`, or both, which must then both
/// hold), or an `ipBlock` alone.
public struct NetworkPolicyPeer: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// nil with a `namespaceSelector`: every pod of the selected namespaces.
    public var podSelector: LabelSelector?
    /// nil with a `podSelector`: the policy's own namespace; `{}`: every namespace.
    public var namespaceSelector: LabelSelector?
    public var ipBlock: IPBlock?

    public init(podSelector: LabelSelector? = nil, namespaceSelector: LabelSelector? = nil, ipBlock: IPBlock? = nil) {
        self.podSelector = podSelector
        self.namespaceSelector = namespaceSelector
        self.ipBlock = ipBlock
    }

    public static func pods(_ selector: LabelSelector) -> NetworkPolicyPeer { NetworkPolicyPeer(podSelector: selector) }
    public static func namespaces(_ selector: LabelSelector) -> NetworkPolicyPeer { NetworkPolicyPeer(namespaceSelector: selector) }
    public static func addresses(_ block: IPBlock) -> NetworkPolicyPeer { NetworkPolicyPeer(ipBlock: block) }

    /// `namespaceSelector ns=x podSelector app=web`, `ipBlock 10.0.0.0/8 except 10.1.0.0/16`.
    public var description: String {
        if let ipBlock { return "ipBlock \(ipBlock)" }
        return [namespaceSelector.map { "namespaceSelector \($0)" }, podSelector.map { "podSelector \($0)" }]
            .compactMap { $0 }.joined(separator: " ")
    }
}

/// `ipBlock`: the addresses of `cidr` less those of every `except` prefix, all of
/// one family (validation ensures it). A block of one family matches only that
/// family's traffic, as in Kubernetes: an IPv4 block says nothing of IPv6 packets.
public struct IPBlock: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var cidr: IPPrefix
    public var except: [IPPrefix]

    public init(cidr: IPPrefix, except: [IPPrefix] = []) {
        self.cidr = cidr
        self.except = except
    }

    public init(cidr: IPv4Prefix, except: [IPv4Prefix] = []) {
        self.init(cidr: .v4(cidr), except: except.map(IPPrefix.v4))
    }

    public var family: AddressFamily { cidr.family }

    /// False for an address of the other family.
    public func contains(_ address: IPAddress) -> Bool {
        cidr.contains(address) && !except.contains { $0.contains(address) }
    }

    public func contains(_ address: IPv4Address) -> Bool { contains(.v4(address)) }

    public var description: String {
        except.isEmpty ? "\(cidr)" : "\(cidr) except \(except.map(\.description).joined(separator: ", "))"
    }
}

/// One entry of a rule's `ports`: a protocol, and a port (a number, a range up to
/// `endPort`, or the name of a destination pod's port), or every port of the protocol.
public struct NetworkPolicyPort: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var `protocol`: PortProtocol
    /// nil: every port of `protocol`.
    public var port: PortReference?
    /// With a numeric `port`: the last port of the range `port...endPort`.
    public var endPort: Int?

    public init(protocol: PortProtocol = .tcp, port: PortReference? = nil, endPort: Int? = nil) {
        self.protocol = `protocol`
        self.port = port
        self.endPort = endPort
    }

    public var description: String {
        switch port {
        case nil: return "every \(`protocol`.rawValue) port"
        case .number(let number)?:
            return endPort.map { "\(number)-\($0)/\(`protocol`.rawValue)" } ?? "\(number)/\(`protocol`.rawValue)"
        case .name(let name)?: return "'\(name)'/\(`protocol`.rawValue)"
        }
    }
}

/// Kubernetes' `IntOrString` for a policy port: a number, or a pod port's name.
public enum PortReference: Codable, Equatable, Hashable, Sendable {
    case number(Int)
    case name(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .name(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .name(let name): try container.encode(name)
        }
    }
}
