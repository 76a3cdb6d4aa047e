/// What `podnet trace` tells: a packet's path, hop by hop, and how it ended; then
/// its reply's.
public struct PacketPath: Sendable, Equatable {
    public struct Hop: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// A route look-up in a namespace: which route, which device, which next hop.
            case route
            /// A netfilter hook's rules: what matched, what they did.
            case netfilter
            /// The packet crossed a veth pair into another namespace.
            case veth
            /// A bridge forwarded the frame to one of its ports, or up into its own stack.
            case bridge
            /// Wrapped into an outer packet (VXLAN, IP-in-IP), or unwrapped from one.
            case encapsulate
            case decapsulate
            /// It reached the namespace that takes it.
            case deliver
            /// It went no further.
            case drop
            /// It left this host (host mode's uplink): beyond what podnet can follow.
            case leave
        }

        public var kind: Kind
        /// The namespace the hop happens in (`lab.node-0`, `(current)`).
        public var namespace: String
        /// One line in seed 003's words.
        public var text: String
        /// The packet as it stands after the hop.
        public var packet: String
        /// The route or rules behind the hop (nft text, `10.200.1.0/24 via … dev eth0`).
        public var details: [String]
        /// A route hop's choice, for holding it against the kernel's own look-up.
        public var route: RouteChoice?

        public init(_ kind: Kind, namespace: String, _ text: String, packet: TracedPacket, details: [String] = [],
                    route: RouteChoice? = nil) {
            self.kind = kind
            self.namespace = namespace
            self.text = text
            self.packet = packet.description
            self.details = details
            self.route = route
        }
    }

    /// Which way a route hop sent the packet: out of `device`, to `gateway` (nil: on-link).
    public struct RouteChoice: Sendable, Equatable, Encodable {
        public var destination: String
        public var device: String
        public var gateway: String?
    }

    public enum Outcome: Sendable, Equatable {
        /// Reached `namespace` (a pod's, a node's own stack, a client's).
        case delivered(namespace: String)
        case dropped(reason: String)
        /// Refused at once by a rule (a reject): the sender is told.
        case rejected(reason: String)
        /// Left the host (host mode): the rest is another host's.
        case left(device: String)
    }

    /// A rule the packet met: where, in which table (`ip podnet-lab`, `inet
    /// podnet-lab`, `iptables nat`) and chain.
    public struct MatchedRule: Sendable, Equatable, Encodable {
        public var namespace: String
        public var table: String
        public var chain: String
        public var text: String
    }

    public var hops: [Hop]
    public var outcome: Outcome
    /// Every rule that matched on the way, and on the reply's way (hops show only the
    /// hooks that did something).
    public var rules: [MatchedRule] = []
    public var replyRules: [MatchedRule] = []
    /// Whether a rule rewrote the packet's source on the way (masquerade, SNAT): its
    /// reply then comes back to another port than the sender's.
    public var sourceTranslated = false
    /// The reply's path back to the sender, where the packet was delivered.
    public var reply: [Hop]?
    public var replyOutcome: Outcome?

    public var isDelivered: Bool { if case .delivered = outcome { return true } else { return false } }
}
