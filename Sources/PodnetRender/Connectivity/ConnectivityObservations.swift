import PodnetAddress

/// What the probes saw, in the report's words. The kernel probes speak of
/// addresses and errno values; `podnet check` translates their outcomes into these.
public struct ConnectivityObservations: Sendable, Equatable {
    /// Echo outcomes, `[source][destination]`, aligned with the expectations' pods;
    /// nil when pod-to-pod was not probed.
    public var echo: [[EchoObservation]]?
    /// ICMPv6 echo outcomes to every pod's IPv6 address, as `echo` is to the IPv4
    /// ones; nil in an IPv4-only cluster or when pod-to-pod was not probed.
    public var echoV6: [[EchoObservation]]? = nil
    /// Seconds an echo was given to be answered.
    public var echoTimeout: Double
    /// One entry per probed target; nil when services were not probed.
    public var services: [ServiceObservation]?
    /// One entry per NodePort and external-IP target; nil when not probed.
    public var external: [ServiceObservation]?
    /// Connections each pod made to each target.
    public var connectionsPerPod: Int
    /// NetworkPolicy probes, `[source][destination][port]` over the pods and
    /// `policyPorts`; nil when not probed.
    public var policy: [[[ConnectionObservation]]]?
    public var policyPorts: [PolicyProbePort] = []
    /// The same probes to every pod's IPv6 address, in a dual-stack cluster; nil
    /// otherwise or when not probed.
    public var policyV6: [[[ConnectionObservation]]]? = nil

    public init(echo: [[EchoObservation]]? = nil, echoTimeout: Double = 1,
                services: [ServiceObservation]? = nil, external: [ServiceObservation]? = nil, connectionsPerPod: Int = 0) {
        self.echo = echo
        self.echoTimeout = echoTimeout
        self.services = services
        self.external = external
        self.connectionsPerPod = connectionsPerPod
    }
}

/// One ICMP echo exchange (with retries) from one pod to another's IP.
public enum EchoObservation: Hashable, Sendable {
    case replied
    /// Refused on the way: an ICMP error ("host unreachable from 10.200.0.1") or a
    /// local one ("no route: Network is unreachable").
    case unreachable(String)
    case timedOut
    /// The source could not send at all (its namespace is missing, say).
    case notProbed(String)
}

/// One connection (or, for UDP, one datagram exchange) to a service target.
public enum ConnectionObservation: Hashable, Sendable {
    /// The listener of this pod answered; `source` is the address it saw the
    /// connection come from (nil when it did not say).
    case answered(String, source: IPAddress? = nil)
    /// Refused at once: a TCP reset or an ICMP port unreachable (ECONNREFUSED).
    case refused
    /// Another error on the way: no route, host or network unreachable.
    case unreachable(String)
    /// No answer in time; `connected` tells a TCP connection that was accepted but
    /// never answered from one that was never accepted.
    case timedOut(connected: Bool)
    /// The connection went wrong otherwise (reset after connecting, …).
    case failed(String)
}

/// The connections every source made to one target: `connections[source][n]`,
/// aligned with the expectations' sources (pods first).
public struct ServiceObservation: Sendable, Equatable {
    public let target: ServiceTarget
    public let connections: [[ConnectionObservation]]

    public init(target: ServiceTarget, connections: [[ConnectionObservation]]) {
        self.target = target
        self.connections = connections
    }
}
