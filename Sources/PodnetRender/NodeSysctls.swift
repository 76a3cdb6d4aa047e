import PodnetAddress
import PodnetKernelModel

/// The sysctls a node needs: forwarding, and those that make bridged pod traffic
/// meet the proxy's and the policies' rules.
enum NodeSysctls {
    /// A node routes between its pods, the underlay and the tunnels, in each family.
    /// IPv6's is `conf.all.forwarding` (there is no `ip_forward` for it); setting it
    /// also stops the node accepting router advertisements, which a node wants.
    static func forwarding(_ family: AddressFamily, namespace: NamespaceRef) -> Sysctl {
        switch family {
        case .ipv4: return Sysctl(id: .init(namespace: namespace, key: "net.ipv4.ip_forward"), value: "1")
        case .ipv6: return Sysctl(id: .init(namespace: namespace, key: "net.ipv6.conf.all.forwarding"), value: "1")
        }
    }

    /// Bridged IPv4 through the IP hooks (br_netfilter), as Kubernetes requires of
    /// its nodes: without it a reply from an endpoint to a client on the same bridge
    /// goes port to port, past conntrack, with the endpoint's own address instead of
    /// the ClusterIP the client called, and the client drops it (same-node and
    /// hairpin service traffic fail). Needs the br_netfilter module.
    /// No Duplicate Address Detection on a lab node's interfaces, set before any is
    /// made (`default` for those to come, `all` because the kernel takes the larger
    /// of the two). The kernel still runs DAD on the link-local address it gives
    /// every interface, and while a forwarding node's are tentative, traffic routed
    /// through it waits: measured on this kernel, the first ping across a router
    /// took 2,033–2,054 ms with DAD there and 0.07 ms without (the end hosts' DAD
    /// made no difference). A lab node's addresses come from one allocator, so
    /// there is nothing for DAD to find. Host mode leaves a real host's setting alone.
    static func noDuplicateAddressDetection(namespace: NamespaceRef) -> [Sysctl] {
        ["all", "default"].map { Sysctl(id: .init(namespace: namespace, key: "net.ipv6.conf.\($0).accept_dad"), value: "0") }
    }

    /// IPv6 frames have their own switch (`bridge-nf-call-ip6tables`), for the same reason.
    static func bridgedTrafficThroughIPHooks(_ family: AddressFamily, namespace: NamespaceRef) -> Sysctl {
        let key = family == .ipv4 ? "net.bridge.bridge-nf-call-iptables" : "net.bridge.bridge-nf-call-ip6tables"
        return Sysctl(id: .init(namespace: namespace, key: key), value: "1")
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
