import PodnetKernelModel

/// The sysctls of a node in ipvs mode, each with the reason kube-proxy (or the lab)
/// has for it. All are per network namespace.
public enum IPVSSysctls {
    /// - `net.ipv4.vs.conntrack=1`: IPVS keeps the connections it forwards in
    ///   netfilter's conntrack. Without it they bypass netfilter's NAT, so the
    ///   hairpin masquerade never applies (kube-proxy sets it for that reason).
    /// - `net.ipv4.vs.expire_nodest_conn=1`: a connection whose real server was
    ///   deleted is dropped at its next packet, instead of being forwarded nowhere
    ///   until it times out (kube-proxy).
    /// - `net.ipv4.vs.expire_quiescent_template=1`: persistence templates pointing at
    ///   a quiesced (weight 0) server expire, so sticky clients move on (kube-proxy).
    /// - `net.ipv4.conf.all.arp_ignore=1`, `arp_announce=2`: the ClusterIPs are local
    ///   addresses of the node; by default Linux answers ARP for any local address on
    ///   any interface, and uses a packet's source (possibly a ClusterIP) as the
    ///   sender of its own ARP requests. With these, the node answers ARP only for
    ///   addresses of the interface asked on and announces only such addresses, so
    ///   the ClusterIPs never appear on the underlay (kube-proxy's `strictARP`,
    ///   which MetalLB requires). Set on lab nodes only, whose namespaces are wholly
    ///   podnet's: on a real host (host mode, the current namespace) they would change
    ///   how every address of the host is answered for (a VIP on lo, a keepalived
    ///   address) and outlive podnet, since sysctls are never reset; kube-proxy too
    ///   sets them only when asked (`strictARP`).
    ///
    /// `net.ipv4.ip_forward=1` is every node's already, and so is
    /// `net.bridge.bridge-nf-call-iptables=1` on every node with a pod bridge when the
    /// topology has services (`NodeSysctls`): IPVS needs it as the other modes do (an
    /// endpoint's answer to a client on its own bridge is bridged, and only through
    /// br_netfilter does IPVS see it to rewrite its source back to the ClusterIP;
    /// the lane's control with it off fails that case). `net.ipv4.vs.conn_reuse_mode`
    /// is left alone, as kube-proxy leaves it on kernels from 5.9 on (the bug it
    /// worked around, 1-second stalls on reused ports, is fixed there).
    ///
    /// IPv6 adds none. The `net.ipv4.vs.*` keys are IPVS's for both families: the
    /// kernel has no `net.ipv6.vs` (Documentation/networking/ipvs-sysctl.rst lists
    /// its variables under /proc/sys/net/ipv4/vs/ only), and `conntrack=1` tracks
    /// IPv6 virtual servers' connections too, which the ip6 table's hairpin
    /// masquerade needs. IPv6 forwarding and `bridge-nf-call-ip6tables` are every
    /// dual-stack node's (`NodeSysctls`). `strictARP` has no IPv6 twin: neighbour
    /// discovery answers only for addresses of the interface asked on (ndisc_recv_ns
    /// looks the target up strictly on the receiving device), so the IPv6 ClusterIPs on
    /// `kube-ipvs0` never appear on the underlay.
    public static func sysctls(in namespace: NamespaceRef) -> [Sysctl] {
        let values: [(String, String)] = [
            ("net.ipv4.vs.conntrack", "1"),
            ("net.ipv4.vs.expire_nodest_conn", "1"),
            ("net.ipv4.vs.expire_quiescent_template", "1"),
        ]
        let strictARP: [(String, String)] = namespace == .current ? [] : [
            ("net.ipv4.conf.all.arp_ignore", "1"),
            ("net.ipv4.conf.all.arp_announce", "2"),
        ]
        return (values + strictARP).map { Sysctl(id: .init(namespace: namespace, key: $0.0), value: $0.1) }
    }
}
