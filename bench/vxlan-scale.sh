#!/usr/bin/env bash
# A VXLAN-static (flannel-style) lab at scale, as root: cold apply of an N-node
# cluster, a no-op apply, then the plan for adding one node, for several N, to show
# that it grows with the number of nodes (3 entries on each other node: route,
# neighbour, FDB), not with its square. Usage: bench/vxlan-scale.sh [PODS_PER_NODE]
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-2}
swift build -c release --static-swift-stdlib --product podnet >/dev/null   # static: starts in ~4 ms, not ~7
podnet=$PWD/.build/release/podnet
dir=$(mktemp -d)
cleanup() { "$podnet" destroy --cluster pnbenchv >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

printf "%-6s %14s %14s %18s %16s %14s\n" nodes "cold apply ms" "no-op ms" "add-a-node plan" "per other node" "destroy ms"
for nodes in 10 25 50; do
    bench/generate-topology.py --name pnbenchv --nodes "$nodes" --pods-per-node "$pods" --services 0 --backend vxlan > "$dir/n.yaml"
    bench/generate-topology.py --name pnbenchv --nodes "$((nodes + 1))" --pods-per-node "$pods" --services 0 --backend vxlan > "$dir/n1.yaml"
    "$podnet" destroy --cluster pnbenchv >/dev/null
    sleep 1
    t=$(now); "$podnet" apply "$dir/n.yaml" >/dev/null 2>&1; cold=$(ms "$t" "$(now)")
    t=$(now); "$podnet" apply "$dir/n.yaml" >/dev/null 2>&1; noop=$(ms "$t" "$(now)")
    "$podnet" diff --output json "$dir/n1.yaml" > "$dir/plan.json"
    read -r total others <<<"$(python3 - "$dir/plan.json" "$nodes" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1])); nodes = int(sys.argv[2])
ops = plan["operations"]
new = f"pnbenchv.node-{nodes}"
# Operations in the namespaces of the nodes that were already there.
others = [o for o in ops if o.get("namespace", "").startswith("pnbenchv.node-") and o.get("namespace") != new]
print(len(ops), f"{len(others) / nodes:.1f}")
PY
)"
    t=$(now); "$podnet" destroy --cluster pnbenchv >/dev/null; destroy=$(ms "$t" "$(now)")
    printf "%-6s %14s %14s %18s %16s %14s\n" "$nodes" "$cold" "$noop" "$total ops" "$others ops" "$destroy"
done
