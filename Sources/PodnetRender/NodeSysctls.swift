import PodnetKernelModel

/// The sysctls a node needs beyond `ip_forward`.
enum NodeSysctls {
    /// Bridged IPv4 through the IP hooks (br_netfilter), as Kubernetes requires of
    /// its nodes: without it a reply from an endpoint to a client on the same bridge
    /// goes port to port, past conntrack, with the endpoint's own address instead of
    /// the ClusterIP the client called, and the client drops it (same-node and
    /// hairpin service traffic fail). Needs the br_netfilter module.
    static func bridgedTrafficThroughIPHooks(namespace: NamespaceRef) -> Sysctl {
        Sysctl(id: .init(namespace: namespace, key: "net.bridge.bridge-nf-call-iptables"), value: "1")
    }

    /// No ICMP redirects from the pod bridge. A node that forwards a packet back out
    /// of the interface it came in by (multicast VXLAN routes the whole cluster CIDR
    /// onto the pod bridge, seed 003 §4.3) tells the sender to go direct; the pod then
    /// keeps a cached on-link route to the remote pod for minutes, and loses it the
    /// moment the backend changes. The kernel sends redirects when `all` OR the
    /// interface says so, hence both. The key is slashed: bridge names may hold dots.
    static func noRedirects(bridge: String, namespace: NamespaceRef) -> [Sysctl] {
        [
            Sysctl(id: .init(namespace: namespace, key: "net.ipv4.conf.all.send_redirects"), value: "0"),
            Sysctl(id: .init(namespace: namespace, key: "net/ipv4/conf/\(bridge)/send_redirects"), value: "0"),
        ]
    }
}
