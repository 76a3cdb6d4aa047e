# `podnet trace --live` where only this lane's kernel goes (issue 18): IPVS mode and
# the IP-in-IP backend. On services-nftables.yaml in ipvs mode, and on ipip.yaml,
# seed 003's cases (pod to pod on one node and across nodes; the ClusterIP from
# another node, from the same node, and hairpin) are traced through the file's
# state and the kernel's: delivered, and no hop differs (each route also held
# against the kernel's own `ip route get`).
. /lane/lib.sh
set -eu

cluster=pnt6trc
topology=/tmp/$cluster.yaml
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT

trace_or_fail() {
    if ! out=$(podnet trace --live --brief "$topology" "$@" 2>&1); then
        echo "$out"
        fail "podnet trace --live $*"
    fi
    echo "$out" | grep -q -- '--live: the kernel.s state takes the same' || { echo "$out"; fail "trace $*: no agreement reported"; }
    echo "ok   trace $* ($(echo "$out" | grep -- '--live:' | sed 's/--live: //'))"
}

step "services in ipvs mode"
sed -e "s/^name: .*/name: $cluster/" -e 's/  mode: nftables /  mode: ipvs /' /topologies/services-nftables.yaml >"$topology"
run_or_fail "podnet apply (ipvs)" podnet apply "$topology"
trace_or_fail a0 a1
trace_or_fail a0 c
trace_or_fail c kube-svc-1:8080 --endpoint b
trace_or_fail a1 kube-svc-1:8080 --endpoint a0
trace_or_fail a0 kube-svc-1:8080 --endpoint a0
run_or_fail "podnet destroy (ipvs)" podnet destroy "$topology"

step "the ipip backend"
sed -e "s/^name: .*/name: $cluster/" /topologies/ipip.yaml >"$topology"
run_or_fail "podnet apply (ipip)" podnet apply "$topology"
trace_or_fail a0 a1
trace_or_fail a1 a0
run_or_fail "podnet destroy (ipip)" podnet destroy "$topology"
expect_no_namespaces "destroy"
