#!/usr/bin/env bash
# podnet check's NetworkPolicy matrix on a generated host-gw cluster (as root): NODES ×
# PODS_PER_NODE pods in NAMESPACES namespaces under POLICIES policies (the shape of
# podnet-bench netpol), every pod to every pod on TCP/UDP 80, 81 and the ports the
# policies name; prints the probes made and the time of the whole check, the policy
# probes' share from check's own timing line. One run: the matrix is one timeout wide
# (denied connections wait it out side by side), so the run-to-run spread is small.
# Usage: bench/netpol-check.sh [NODES] [PODS_PER_NODE] [NAMESPACES] [POLICIES]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-5}; pods=${2:-20}; namespaces=${3:-10}; policies=${4:-20}
swift build -c release --static-swift-stdlib --product podnet >/dev/null
podnet=$PWD/.build/release/podnet
dir=$(mktemp -d)
file=$dir/bench.yaml
. bench/neighbour-limits.sh
cleanup() {
    "$podnet" destroy --cluster pnbenchp >/dev/null 2>&1 || true
    restore_neighbour_limits
    rm -rf "$dir"
}
trap cleanup EXIT
# Every pod resolves its node's pods and gateway, every node its pods and the others.
needed=$(( nodes * (pods * pods + pods + nodes) ))
raise_neighbour_limits $(( needed * 2 > 32768 ? needed * 2 : 32768 )) $(( needed > 16384 ? needed : 16384 ))
bench/generate-topology.py --name pnbenchp --nodes "$nodes" --pods-per-node "$pods" --services 0 \
    --namespaces "$namespaces" --policies "$policies" > "$file"
"$podnet" apply "$file" >/dev/null 2>&1
start=${EPOCHREALTIME//[!0-9]/}
# Text, not JSON: at 1,000 pods the JSON would list five million probes (most of a GiB);
# the text sums the matrix per node pair and ends with the verdict's counts.
"$podnet" check "$file" > "$dir/check.txt" 2> "$dir/check.err" || true
end=${EPOCHREALTIME//[!0-9]/}
echo "netpol check: $((nodes * pods)) pods ($nodes nodes × $pods), $namespaces namespaces, $policies policies"
grep -m1 '^NetworkPolicy:' "$dir/check.txt" | sed 's/^/  /'
grep -E '^(ok|FAILED):' "$dir/check.txt" | sed 's/^/  /'
echo "  whole check $(( (end - start) / 1000 )) ms; $(grep '^podnet: probed' "$dir/check.err")"
