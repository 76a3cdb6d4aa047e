#!/usr/bin/env bash
# podnet's main job on a fresh machine, setup included: `sudo scripts/demo.sh [--keep]`.
# Builds podnet, applies a two-node lab cluster (topologies/host-gw.yaml, seed 003
# §4.1: pods as namespaces, a bridge per node, static routes between nodes), shows
# it, proves it works with ping from inside the pods, and destroys it again unless
# --keep is given (then explore with `ip netns exec hostgw.a0 sh`).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[ "${1:-}" = "--keep" ] && keep=true

scripts/install-deps.sh
echo "== building podnet (release)" >&2
swift build -c release --product podnet 2>&1 | grep -E "error|Build complete" || true
podnet=.build/release/podnet
file=topologies/host-gw.yaml

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
echo "== pods reach each other across nodes (seed 003 §4.1 checks)" >&2
for pair in "a0 10.200.1.2" "a1 10.200.0.2" "a0 10.200.0.1"; do
    set -- $pair
    ip netns exec "hostgw.$1" ping -c 1 -W 2 "$2" >/dev/null && echo "ok   $1 → $2" || { echo "FAIL $1 → $2"; exit 1; }
done
if $keep; then
    echo "== kept: try 'ip netns exec hostgw.a0 ping 10.200.1.2', then '$podnet destroy $file'" >&2
else
    echo "== podnet destroy $file" >&2
    "$podnet" destroy "$file"
    trap - EXIT
fi
