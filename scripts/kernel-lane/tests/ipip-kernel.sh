# The control for tests/ipip.sh: seed 003 §4.2 by hand. podnet builds the host-gw
# lab, then each node's route to the other node's pods is moved onto an ipip tunnel
# with plain `ip`, as the seed does. When this passes and ipip fails, the fault is
# podnet's, not the guest kernel's or the lane's checks (the same ones ipip.sh uses).
. /lane/lib.sh
set -eu

topology=/topologies/host-gw.yaml
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "podnet apply $topology, then the cross-node routes moved onto ipip tunnels by hand"
run_or_fail "podnet apply" podnet apply "$topology"
tunnel() { # node, local address, remote address, remote podCIDR
    run_or_fail "ip tunnel add in $1" ip -n "hostgw.$1" tunnel add ipip0 mode ipip local "$2" remote "$3"
    run_or_fail "ipip0 up in $1" ip -n "hostgw.$1" link set ipip0 mtu 1480 up
    run_or_fail "route via ipip0 in $1" ip -n "hostgw.$1" route replace "$4" dev ipip0
}
tunnel node-0 192.168.64.4 192.168.64.5 10.200.1.0/24
tunnel node-1 192.168.64.5 192.168.64.4 10.200.0.0/24

step "pods across nodes, every direction, through the tunnels"
before=$(($(ipip_tx_packets hostgw.node-0) + $(ipip_tx_packets hostgw.node-1)))
ping_from hostgw.a0 10.200.1.2
ping_from hostgw.a1 10.200.0.2
ping_from hostgw.a0 10.200.1.1
ping_from hostgw.a1 10.200.0.1
after=$(($(ipip_tx_packets hostgw.node-0) + $(ipip_tx_packets hostgw.node-1)))
[ "$after" -ge $((before + 8)) ] ||
    fail "the pings did not go through the ipip tunnels (tunnel tx packets $before -> $after, expected at least 8 more)"
echo "ok   the pings crossed the ipip tunnels (tunnel tx packets $before -> $after)"
# 1452 bytes of ICMP data + 8 + 20 = 1480, the tunnel's MTU: fits without fragmenting.
ping_from hostgw.a0 10.200.1.2 -M "do" -s 1452

step "podnet destroy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
