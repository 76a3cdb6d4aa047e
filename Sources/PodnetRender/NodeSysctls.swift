import PodnetKernelModel

/// The sysctls a node needs beyond `ip_forward`.
enum NodeSysctls {
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
