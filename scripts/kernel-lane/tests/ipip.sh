# The ipip backend for real (seed 003 §4.2), which this machine's kernel cannot run:
# topologies/ipip.yaml applied, pods reach each other and the other node's pod
# gateway in every direction through the tunnel, full-size packets fit the 1480-byte
# pod MTU without fragmenting, and destroy leaves no namespace behind.
. /lane/lib.sh
set -eu

topology=/topologies/ipip.yaml
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "podnet apply $topology"
run_or_fail "podnet apply" podnet apply "$topology"

step "pods across nodes, every direction"
before=$(($(ipip_tx_packets ipip.node-0) + $(ipip_tx_packets ipip.node-1)))
ping_from ipip.a0 10.200.1.2
ping_from ipip.a1 10.200.0.2
ping_from ipip.a0 10.200.1.1
ping_from ipip.a1 10.200.0.1
after=$(($(ipip_tx_packets ipip.node-0) + $(ipip_tx_packets ipip.node-1)))
[ "$after" -ge $((before + 8)) ] ||
    fail "the pings did not go through the ipip tunnels (tunnel tx packets $before -> $after, expected at least 8 more)"
echo "ok   the pings crossed the ipip tunnels (tunnel tx packets $before -> $after)"

step "pod MTU is the underlay's less 20"
mtu=$(ip -n ipip.a0 link show eth0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
[ "$mtu" = 1480 ] || fail "pod eth0 MTU is $mtu, expected 1480"
# 1452 bytes of ICMP data + 8 ICMP + 20 IP = 1480: the largest packet that fits unfragmented.
ping_from ipip.a0 10.200.1.2 -M "do" -s 1452
ping_from ipip.a1 10.200.0.2 -M "do" -s 1452

step "podnet apply again: nothing to do"
run_or_fail "second podnet apply" podnet apply "$topology"

step "podnet destroy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
