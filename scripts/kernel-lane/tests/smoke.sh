# Smoke test of the lane itself: the kernel features this machine's own kernel lacks
# exist in the guest, the netfilter tools work, and podnet runs and builds a working
# two-node cluster (topologies/host-gw.yaml, as scripts/demo.sh checks it).
. /lane/lib.sh
set -eu

scratch=lane-smoke
topology=/topologies/host-gw.yaml
cleanup() {
    ip netns delete "$scratch" 2>/dev/null || true
    podnet destroy "$topology" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "kernel features in a scratch namespace"
run_or_fail "ip netns add" ip netns add "$scratch"
run_or_fail "ipip link" ip -n "$scratch" link add lane-ipip type ipip local 192.0.2.1 remote 192.0.2.2
ip -n "$scratch" -d link show lane-ipip | grep -q 'ipip ' || fail "lane-ipip is not an ipip link"
echo "ok   ipip link"
run_or_fail "dummy link" ip -n "$scratch" link add lane-dummy type dummy
ip -n "$scratch" -d link show lane-dummy | grep -q 'dummy ' || fail "lane-dummy is not a dummy link"
echo "ok   dummy link"
run_or_fail "vxlan link" ip -n "$scratch" link add lane-vxlan type vxlan id 100 dstport 4789 local 192.0.2.1
echo "ok   vxlan link"
if [ -e /proc/net/ip_vs ]; then
    echo "ok   IPVS present (/proc/net/ip_vs)"
else
    fail "IPVS missing: no /proc/net/ip_vs after loading ip_vs"
fi

step "nftables and iptables-nft in the scratch namespace (kube-proxy's expressions)"
run_or_fail "nft" ip netns exec "$scratch" /usr/sbin/nft -f - <<'EOF'
table ip lane {
    chain services { type nat hook prerouting priority dstnat; policy accept;
        ip daddr 10.96.0.1 tcp dport 80 dnat to numgen random mod 2 map { 0 : 10.200.0.2, 1 : 10.200.0.3 }
    }
    chain postrouting { type nat hook postrouting priority srcnat; policy accept;
        ct status dnat masquerade
    }
    chain filter { type filter hook forward priority filter; policy accept;
        fib daddr type local reject with icmp type port-unreachable
    }
}
EOF
echo "ok   nft: numgen, dnat, ct, masquerade, fib, reject"
run_or_fail "iptables-nft" ip netns exec "$scratch" /usr/sbin/iptables -t nat -N KUBE-SVC-LANE
run_or_fail "iptables-nft" ip netns exec "$scratch" /usr/sbin/iptables -t nat -A KUBE-SVC-LANE \
    -m comment --comment "lane" -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x4000/0x4000
run_or_fail "iptables-nft" ip netns exec "$scratch" /usr/sbin/iptables -t nat -A POSTROUTING \
    -m mark --mark 0x4000/0x4000 -m conntrack --ctstate DNAT -m addrtype --dst-type LOCAL \
    -p tcp -m multiport --dports 80,443 -j MASQUERADE
ip netns exec "$scratch" /usr/sbin/iptables-save -t nat | grep -q 'KUBE-SVC-LANE' || fail "iptables-save does not show KUBE-SVC-LANE"
echo "ok   iptables-nft: comment, statistic, mark, conntrack, addrtype, multiport, MASQUERADE"
ip netns delete "$scratch"

step "podnet apply $topology"
run_or_fail "podnet apply" podnet apply "$topology"
ping_from hostgw.a0 10.200.1.2
ping_from hostgw.a1 10.200.0.2
ping_from hostgw.a0 10.200.0.1
step "podnet apply again: nothing to do"
run_or_fail "second podnet apply" podnet apply "$topology"
step "podnet destroy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
