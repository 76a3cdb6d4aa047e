# The services scenario of seed 003 §5 (TOPOLOGY.md's example) in proxy.mode ipvs:
# topologies/services-ipvs.yaml, three nodes over multicast VXLAN, service
# kube-svc-1 (10.96.0.2:8080) over a0 (node-0) and b (node-1), built by
# podnet-ipvs-probe. The seed's three cases, each over 20 connections:
#   1. c (node-2, no endpoint there) reaches a0 and b;
#   2. a1 (node-0, beside a0) reaches a0 and b;
#   3. a0 (an endpoint) reaches b and itself (the seed says "b only": not so).
. /lane/lib.sh
set -eu

probe() { /usr/bin/podnet-ipvs-probe "$@"; }
topology=/topologies/services-ipvs.yaml
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2>/dev/null || true; done
    podnet destroy "$topology" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "apply $topology"
out=$(probe apply "$topology" 2>&1) || { echo "$out"; fail "probe apply: $(echo "$out" | tail -n 1)"; }
echo "$out" | head -n 1
echo "$out" | tail -n 1
out=$(probe diff "$topology") || fail "diff after apply: $out"
echo "ok   $out"
for node in node-0 node-1 node-2; do
    echo "     svc-ipvs.$node: $(ip netns exec "svc-ipvs.$node" /usr/sbin/ipvsadm -Ln | grep -E '^TCP|->' | grep -v Remote | tr -s ' ' | tr '\n' ';')"
done

step "servers: a0 and b answer with their name on 8080"
for pod in a0 b; do
    /usr/sbin/ip netns exec "svc-ipvs.$pod" /bin/busybox nc -ll -p 8080 -e echo "$pod" &
    servers="$servers $!"
done
sleep 1

# 20 connections from pod $1 to the ClusterIP; both endpoints must answer, and nothing fail.
spread() {
    local from=$1 a0=0 b=0 other=0 i
    for i in $(seq 20); do
        case $(ip netns exec "svc-ipvs.$from" /bin/busybox nc -w 3 10.96.0.2 8080 </dev/null 2>&1 || true) in
            a0) a0=$((a0 + 1)) ;;
            b) b=$((b + 1)) ;;
            *) other=$((other + 1)) ;;
        esac
    done
    echo "     $from -> 10.96.0.2:8080: a0 $a0, b $b, failed $other"
    [ "$other" = 0 ] && [ "$a0" -ge 5 ] && [ "$b" -ge 5 ] || fail "$from -> ClusterIP: a0 $a0, b $b, failed $other"
    echo "ok   $2"
}

step "case 1: c on node-2, which has no endpoint"
spread c "c reaches both endpoints across nodes"
step "case 2: a1 on node-0, beside endpoint a0"
spread a1 "a1 reaches both endpoints"
step "case 3: a0, itself an endpoint"
spread a0 "a0 reaches b and itself (hairpin)"

step "destroy"
for pid in $servers; do kill "$pid" 2>/dev/null || true; done
servers=""
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
