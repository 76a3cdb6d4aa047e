#!/usr/bin/env bash
# Dual stack against IPv4 only, in one run (as root): the 20 × 10 host-gw cluster of
# bench/reconcile.sh, and the same with an IPv6 prefix beside each IPv4 one (twice the
# addresses and routes, IPv6 forwarding and DAD sysctls on the nodes). For each:
# podnet apply (cold), apply (nothing to do), diff, destroy; the two clusters stand
# side by side and take turns command by command, so that the machine's drift falls
# on both alike. Issue 17 asks the no-op apply, diff and destroy of dual stack to
# stay within 1.3× of IPv4 only's.
# Usage: bench/dual-stack.sh [NODES] [PODS_PER_NODE] [RUNS] [PODNET]
#   PODNET: a podnet binary to measure (default: this checkout's release build)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-20}; pods=${2:-10}; runs=${3:-3}
if [ -n "${4:-}" ]; then podnet=$4; else
    swift build -c release --static-swift-stdlib --product podnet >/dev/null   # static: starts in ~4 ms, not ~7
    podnet=$PWD/.build/release/podnet
fi
dir=$(mktemp -d)
cleanup() { for c in pnbench4 pnbench6; do "$podnet" destroy --cluster $c >/dev/null 2>&1 || true; done; rm -rf "$dir"; }
trap cleanup EXIT
bench/generate-topology.py --name pnbench4 --nodes "$nodes" --pods-per-node "$pods" --services 0 > "$dir/ipv4.yaml"
bench/generate-topology.py --name pnbench6 --nodes "$nodes" --pods-per-node "$pods" --services 0 --dual-stack > "$dir/dual.yaml"

# The shell's own clock (bash 5), microseconds, without a subshell around the command.
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A samples
time_it() {   # KEY COMMAND...: appends the milliseconds COMMAND took to samples[KEY]
    local key=$1; shift
    local start=${EPOCHREALTIME//[!0-9]/}
    "$@" >/dev/null 2>&1 || true
    local end=${EPOCHREALTIME//[!0-9]/}
    samples[$key]+="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (e - s) / 1000 }') "
}

for _ in $(seq "$runs"); do
    # Both clusters stand side by side, and each measurement alternates between them
    # (IPv4, dual, IPv4, dual, ...), so that the machine's drift falls on both alike.
    for family in ipv4 dual; do
        time_it "$family cold" "$podnet" apply "$dir/$family.yaml"
        "$podnet" diff --detailed-exitcode "$dir/$family.yaml" >/dev/null || { echo "$family: apply did not converge" >&2; exit 1; }
    done
    for _ in $(seq 15); do for family in ipv4 dual; do time_it "$family noop" "$podnet" apply "$dir/$family.yaml"; done; done
    for _ in $(seq 15); do for family in ipv4 dual; do time_it "$family diff" "$podnet" diff "$dir/$family.yaml"; done; done
    # The kernel frees destroyed namespaces asynchronously, slowing what comes next.
    for family in ipv4 dual; do sleep 2; time_it "$family destroy" "$podnet" destroy "$dir/$family.yaml"; done
    sleep 2
done
echo "cluster: $nodes nodes × $pods pods (host-gw), IPv4 only and dual stack in turns; medians of $runs runs (15 × $runs for no-op apply and diff)"
printf "%-24s %12s %12s %8s\n" "" "IPv4 only" "dual stack" "ratio"
for task in cold noop diff destroy; do
    # shellcheck disable=SC2086
    a=$(median ${samples["ipv4 $task"]}); b=$(median ${samples["dual $task"]})
    awk -v t="$task" -v a="$a" -v b="$b" 'BEGIN {
        names["cold"] = "apply (cold)"; names["noop"] = "apply (nothing to do)"; names["diff"] = "diff"; names["destroy"] = "destroy"
        printf "%-24s %9.1f ms %9.1f ms %8.2f\n", names[t], a, b, b / a }'
done
echo "goal (issue 17): no-op apply, diff and destroy of dual stack within 1.3× of IPv4 only's"
