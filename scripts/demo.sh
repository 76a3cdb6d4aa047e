#!/usr/bin/env bash
# podnet's main job on a fresh machine, setup included: `sudo scripts/demo.sh [--keep]`.
# Builds podnet, applies the default lab cluster (topologies/lab.yaml: two nodes,
# pods as namespaces, a bridge per node, flannel-style VXLAN between the nodes, seed
# 003 §2–§5: service web load-balanced by nftables), shows it, proves it works with
# ping and with `podnet check` from inside the pods, and
# destroys it again unless --keep is given (then explore with `ip netns exec lab.a0 sh`).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[ "${1:-}" = "--keep" ] && keep=true

scripts/install-deps.sh
echo "== building podnet (release)" >&2
swift build -c release --static-swift-stdlib --product podnet 2>&1 | grep -E "error|Build complete" || true
podnet=.build/release/podnet
file=topologies/lab.yaml

cleanup() { $keep || "$podnet" destroy "$file" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== podnet validate topologies/*.yaml" >&2
"$podnet" validate topologies/*.yaml
echo "== podnet diff $file (what apply will do, as ip commands)" >&2
"$podnet" diff "$file" || true
echo "== podnet apply $file" >&2
"$podnet" apply "$file"
echo "== podnet apply $file (again: nothing to do)" >&2
"$podnet" apply "$file"
echo "== podnet show -f $file" >&2
"$podnet" show -f "$file"
echo "== pods reach each other on a node and across nodes over VXLAN (seed 003 §3–§4.3 checks)" >&2
for pair in "a0 10.200.0.3" "a0 10.200.1.2" "b1 10.200.0.3" "b0 10.200.1.3" "a0 10.200.0.1"; do
    set -- $pair
    ip netns exec "lab.$1" ping -c 1 -W 2 "$2" >/dev/null && echo "ok   $1 → $2" || { echo "FAIL $1 → $2"; exit 1; }
done
echo "== podnet check $file (every pod to every pod, and to service web's ClusterIP: who answered, in what shares)" >&2
"$podnet" check "$file"
if $keep; then
    echo "== kept: try 'ip netns exec lab.a0 ping 10.200.1.2', 'ip netns exec lab.node-0 bridge fdb show dev vxlan0', then '$podnet destroy $file'" >&2
else
    echo "== podnet destroy $file" >&2
    "$podnet" destroy "$file"
    trap - EXIT
fi
