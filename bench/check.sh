#!/usr/bin/env bash
# podnet check on an N-node × M-pod host-gw cluster (default 20 × 10, S services), as root:
#   pod → pod: 40,000 pairs by in-process ICMP echo, against one `ping` process per pair
#   (measured on one pod's 200 pairs and scaled up);
#   services: each endpoint directly (--via endpoints, one connection per pod and endpoint),
#   and through the ClusterIPs (fails where no proxy load-balances them yet).
# The kernel's neighbour table is one for all namespaces (gc_thresh3, 1024 by default) and a
# 200-pod full mesh needs ~2,600 entries: the limits are raised for the run and restored after.
# Usage: bench/check.sh [NODES] [PODS_PER_NODE] [SERVICES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-20}; pods=${2:-10}; services=${3:-10}; runs=${4:-5}
swift build -c release --static-swift-stdlib --product podnet >/dev/null   # static: starts in ~4 ms, not ~7
podnet=$PWD/.build/release/podnet
dir=$(mktemp -d)
file=$dir/bench.yaml
. bench/neighbour-limits.sh
cleanup() {
    "$podnet" destroy --cluster pnbenchc >/dev/null 2>&1 || true
    restore_neighbour_limits
    rm -rf "$dir"
}
trap cleanup EXIT
raise_neighbour_limits 16384 8192
bench/generate-topology.py --name pnbenchc --nodes "$nodes" --pods-per-node "$pods" --services "$services" > "$file"
"$podnet" apply "$file" >/dev/null 2>&1

ms() { echo $(( ($2 - $1) / 1000000 )); }
now() { date +%s%N; }
median() { printf "%s\n" "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { local t status; t=$(now); "$@" >/dev/null 2>&1 && status=0 || status=$?; echo "$(ms "$t" "$(now)") $status"; }

total=$((nodes * pods))
pairs=$((total * total))
matrix=(); statuses=()
for _ in $(seq "$runs"); do read -r t s < <(timed "$podnet" check --pods-only "$file"); matrix+=("$t"); statuses+=("$s"); done
addresses=$("$podnet" validate -o json "$file" | python3 -c 'import json,sys; print(" ".join(p["ip"] for p in json.load(sys.stdin)["topology"]["pods"]))')
t=$(now); for a in $addresses; do ip netns exec pnbenchc.pod-0-0 ping -c 1 -W 1 -q "$a" >/dev/null || true; done; one=$(ms "$t" "$(now)")
read -r direct direct_status < <(timed "$podnet" check --services-only --via endpoints --connections 1 "$file")
read -r through through_status < <(timed "$podnet" check --services-only "$file")
m=$(median "${matrix[@]}")
echo "cluster: $nodes nodes × $pods pods (host-gw), $services services; median of $runs runs where repeated"
printf "%-62s %8s ms  (exit %s)\n" \
    "podnet check --pods-only ($pairs pairs)" "$m" "$(median "${statuses[@]}")" \
    "one ping process per pair (200 measured, scaled to $pairs)" "$((one * pairs / total))" "-" \
    "podnet check --services-only --via endpoints --connections 1" "$direct" "$direct_status" \
    "podnet check --services-only (ClusterIPs, 20 connections)" "$through" "$through_status"
awk -v m="$m" -v p="$((one * pairs / total))" 'BEGIN { printf "pod → pod: podnet check / ping per pair = 1/%.0f\n", p/m }'
