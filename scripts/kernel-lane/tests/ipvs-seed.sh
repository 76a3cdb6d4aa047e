# The services scenario of seed 003 §5 (TOPOLOGY.md's example) in proxy.mode ipvs:
# topologies/services-ipvs.yaml, three nodes over multicast VXLAN, service
# kube-svc-1 (10.96.0.2:8080) over a0 (node-0) and b (node-1), built by
# `podnet apply` and measured by `podnet check` (200 connections from every pod).
# The seed's three cases:
#   1. c (node-2, no endpoint there) reaches a0 and b;
#   2. a1 (node-0, beside a0) reaches a0 and b;
#   3. a0 (an endpoint) reaches b and itself (the seed says "b only": not so).
# Each gets every connection answered, each endpoint 35-65% of them.
. /lane/lib.sh
set -eu

topology=/topologies/services-ipvs.yaml
cleanup() {
    podnet destroy "$topology" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "apply $topology"
run_or_fail "podnet apply" podnet apply "$topology"
out=$(podnet diff --detailed-exitcode "$topology") || fail "diff after apply: $out"
echo "ok   $out"
for node in node-0 node-1 node-2; do
    echo "     svc-ipvs.$node: $(ip netns exec "svc-ipvs.$node" /usr/sbin/ipvsadm -Ln | grep -E '^TCP|->' | grep -v Remote | tr -s ' ' | tr '\n' ';')"
done

step "podnet check: 200 connections from every pod to 10.96.0.2:8080"
out=$(podnet check --services-only --connections 200 "$topology") || { echo "$out"; fail "podnet check failed"; }
echo "$out"

# The share (percent) endpoint $2 answered of pod $1's connections, from check's table.
share() {
    echo "$out" | awk -v from="$1" '$1 == "kube-svc-1:8080" && $3 == from' |
        sed -n "s/.*[ ,]$2 \([0-9]*\)%.*/\1/p"
}
for case in "c:case 1: c on node-2, which has no endpoint" "a1:case 2: a1 on node-0, beside endpoint a0" \
            "a0:case 3: a0, itself an endpoint (hairpin)"; do
    from=${case%%:*}
    a0=$(share "$from" a0); b=$(share "$from" b)
    [ -n "$a0" ] && [ -n "$b" ] || fail "$from: no shares in check's table"
    [ "$a0" -ge 35 ] && [ "$a0" -le 65 ] && [ "$b" -ge 35 ] && [ "$b" -le 65 ] || fail "$from: a0 $a0%, b $b%"
    echo "ok   ${case#*:}: a0 $a0%, b $b%"
done

step "destroy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
