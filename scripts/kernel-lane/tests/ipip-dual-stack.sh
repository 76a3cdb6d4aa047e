# IP-in-IP with IPv6 pods (issue 17), which this machine's kernel cannot run: the
# dual-stack example over backend ipip, where ipip0 carries the IPv4 pods and sit1
# (6in4) the IPv6 ones. Every pod reaches every other in both families through the
# tunnels, a second apply has nothing to do, and destroy leaves no namespace.
. /lane/lib.sh
set -eu

topology=/tmp/ipip-dual-stack.yaml
# Pods only: the services are other tests' (the proxy block goes too: the default mode does).
sed 's/^name: ds$/name: ds6/; s/^  backend: vxlan .*$/  backend: ipip/; /^  vxlan:$/d; /^    vni: 1$/d; /^    discovery: static$/d;
     /^proxy:$/d; /^  mode: /d; /^services:$/,$d' \
    /topologies/dual-stack.yaml > "$topology"
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "podnet apply (dual stack over ipip)"
run_or_fail "podnet apply" podnet apply "$topology"
ip -n ds6.node-0 link show sit1 >/dev/null 2>&1 || fail "node-0 has no sit1 tunnel"

step "pods across nodes, both families"
sit_tx() { ip -n "$1" -s link show sit1 | awk '/TX:/ { getline; print $2 }'; }
before=$(($(sit_tx ds6.node-0) + $(sit_tx ds6.node-1)))
for pair in "a0 10.200.1.2" "a0 fd00:200:0:1::2" "b fd00:200::2" "c fd00:200::2" "a0 fd00:200:0:2::2" "b 10.200.2.2"; do
    set -- $pair
    ping_from "ds6.$1" "$2"
done
after=$(($(sit_tx ds6.node-0) + $(sit_tx ds6.node-1)))
[ "$after" -ge $((before + 4)) ] ||
    fail "the IPv6 pings did not go through the sit tunnels (tx packets $before -> $after)"
echo "ok   the IPv6 pings crossed the sit tunnels (tx packets $before -> $after)"

step "podnet diff: nothing to do (the kernel's ::a.b.c.d addresses on sit1 are not podnet's)"
run_or_fail "podnet diff" podnet diff --detailed-exitcode "$topology"

step "podnet destroy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
