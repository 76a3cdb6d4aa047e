# An IPv6-only cluster (issue 17) where this machine's kernel cannot run it: the
# IPv6-only example (topologies/ipv6-only.yaml) over backend ipip, whose IPv6
# counterpart sit1 (6in4) alone carries the pods (no ipip0: no pod has IPv4), then
# in proxy mode ipvs over static VXLAN, with seed 003 §5's three cases over IPv6:
# 200 connections each from c (another node), a1 (beside endpoint a0) and a0
# (hairpin), each endpoint 35-65% of them; then the same in mode ipvs on an IPv6-only
# underlay (VXLAN over IPv6). Diff has nothing to do after each apply, destroy leaves
# no namespace.
. /lane/lib.sh
set -eu

topology=/tmp/ipv6-only.yaml
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT

sed 's/^name: v6$/name: v6ip/; s/^  backend: host-gw .*$/  backend: ipip/' /topologies/ipv6-only.yaml > "$topology"
step "podnet apply (IPv6 only over ipip: sit1 alone)"
run_or_fail "podnet apply" podnet apply "$topology"
ip -n v6ip.node-0 link show sit1 >/dev/null 2>&1 || fail "node-0 has no sit1 tunnel"
ip -n v6ip.node-0 link show ipip0 >/dev/null 2>&1 && fail "node-0 has an ipip0 tunnel, but no pod has an IPv4 address"
[ -z "$(ip -n v6ip.a0 -4 -o addr show dev eth0)" ] || fail "pod a0 has an IPv4 address"
echo "ok   sit1 and no ipip0; a0 has no IPv4 address"

step "pods across nodes over IPv6"
sit_tx() { ip -n "$1" -s link show sit1 | awk '/TX:/ { getline; print $2 }'; }
before=$(($(sit_tx v6ip.node-0) + $(sit_tx v6ip.node-1)))
for pair in "a0 fd00:200:0:1::2" "b fd00:200::2" "c fd00:200::3" "a1 fd00:200:0:2::2"; do
    set -- $pair
    ping_from "v6ip.$1" "$2"
done
after=$(($(sit_tx v6ip.node-0) + $(sit_tx v6ip.node-1)))
[ "$after" -ge $((before + 2)) ] || fail "the pings did not go through the sit tunnels (tx packets $before -> $after)"
echo "ok   the pings crossed the sit tunnels (tx packets $before -> $after)"
out=$(podnet check --pods-only "$topology") || { echo "$out"; fail "podnet check failed over ipip"; }
echo "$out" | tail -n 1
run_or_fail "podnet diff" podnet diff --detailed-exitcode "$topology"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"

sed 's/^name: v6$/name: v6vs/; s/^  backend: host-gw .*$/  backend: vxlan/; s/^  mode: nftables .*$/  mode: ipvs/' /topologies/ipv6-only.yaml > "$topology"
step "podnet apply (IPv6 only, proxy mode ipvs)"
run_or_fail "podnet apply" podnet apply "$topology"
servers=$(ip netns exec v6vs.node-2 /usr/sbin/ipvsadm -Ln -t '[fd00:96::1]:8080') ||
    fail "node-2 has no IPv6 virtual server [fd00:96::1]:8080"
echo "$servers" | grep -q '\[fd00:200::2\]:8080' || fail "[fd00:96::1]:8080 has no real server a0: $servers"
ip netns exec v6vs.node-2 /usr/sbin/ipvsadm -Ln | grep -q '^TCP  10\.' && fail "node-2 has an IPv4 virtual server"
echo "ok   [fd00:96::1]:8080 over the endpoints' IPv6 addresses, no IPv4 virtual server"
run_or_fail "podnet diff" podnet diff --detailed-exitcode "$topology"

step "podnet check: 200 connections from every pod through the IPv6 ClusterIP"
out=$(podnet check --connections 200 "$topology") || { echo "$out"; fail "podnet check failed"; }
echo "$out"
share() {
    echo "$out" | awk -v from="$1" '$1 == "web:8080" && $2 == "[fd00:96::1]:8080" && $3 == from' |
        sed -n "s/.*[ ,]$2 \([0-9]*\)%.*/\1/p"
}
for case in "c:case 1: c on node-2, which has no endpoint" "a1:case 2: a1 on node-0, beside endpoint a0" \
            "a0:case 3: a0, itself an endpoint (hairpin)"; do
    from=${case%%:*}
    a0=$(share "$from" a0); b=$(share "$from" b)
    [ -n "$a0" ] && [ -n "$b" ] || fail "from $from: no shares in check's table"
    [ "$a0" -ge 35 ] && [ "$a0" -le 65 ] && [ "$b" -ge 35 ] && [ "$b" -le 65 ] || fail "from $from: a0 $a0%, b $b%"
    echo "ok   ${case#*:}: a0 $a0%, b $b%"
done

step "podnet destroy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"

# IPv6 from end to end: the same in mode ipvs on an IPv6-only underlay, the VTEPs
# talking over IPv6.
sed 's/^name: v6$/name: v6vu/; s/^  backend: host-gw .*$/  backend: vxlan/; s/^  mode: nftables .*$/  mode: ipvs/;
     s|^  cidr: \[192.168.64.0/24, fd00:64::/64\]$|  cidr: fd00:64::/64|' /topologies/ipv6-only.yaml > "$topology"
grep -q '^  cidr: fd00:64::/64$' "$topology" || fail "the underlay line of the example changed: $(grep cidr "$topology")"
step "podnet apply (IPv6 only, ipvs, static VXLAN over an IPv6-only underlay)"
run_or_fail "podnet apply" podnet apply "$topology"
ip -n v6vu.node-0 -d link show vxlan0 | grep -q 'local fd00:64::4' || fail "vxlan0 does not send from fd00:64::4"
out=$(podnet check --connections 50 "$topology") || { echo "$out"; fail "podnet check failed on the IPv6-only underlay"; }
echo "$out" | tail -n 1
run_or_fail "podnet diff" podnet diff --detailed-exitcode "$topology"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
echo "ok   nothing left"
