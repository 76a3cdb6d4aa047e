#!/usr/bin/env bash
# The reconciler against the seed's way, in one run (as root):
#   podnet apply (cold), apply (nothing to do), destroy
#   a shell script with one ip process per step (podnet diff --output commands, run by sh)
#   the same grouped into ip -batch processes where iproute2 allows it (bench/batch-by-namespace.py)
# on an N-node × M-pod host-gw cluster (default 20 × 10). Prints medians of RUNS runs
# (of 15 × RUNS for the no-op apply, whose tens of milliseconds are the noisiest figure).
# Usage: bench/reconcile.sh [NODES] [PODS_PER_NODE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-20}; pods=${2:-10}; runs=${3:-3}
swift build -c release --static-swift-stdlib --product podnet >/dev/null   # static: starts in ~4 ms, not ~7
podnet=$PWD/.build/release/podnet
dir=$(mktemp -d)
file=$dir/bench.yaml
cleanup() { "$podnet" destroy --cluster pnbenchr >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
bench/generate-topology.py --name pnbenchr --nodes "$nodes" --pods-per-node "$pods" --services 0 > "$file"

ms() { local start=$1 end=$2; echo $(( (end - start) / 1000000 )); }
# The shell's own clock (bash 5) rather than a date process per reading. Its decimal
# point follows the locale (a comma in some): only the digits are kept, microseconds.
now() { echo "${EPOCHREALTIME//[!0-9]/}000"; }
median() { printf "%s\n" "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
destroy_by_hand() { ip netns list | awk '{print $1}' | grep '^pnbenchr\.' | sed 's/^/netns del /' | ip -batch - ; }

"$podnet" destroy --cluster pnbenchr >/dev/null
"$podnet" diff --output commands "$file" > "$dir/script.sh"
python3 bench/batch-by-namespace.py < "$dir/script.sh" > "$dir/batched.sh"
steps=$(wc -l < "$dir/script.sh")
batches=$(grep -c "ip -\|^ip " "$dir/batched.sh" || true)

cold=(); noop=(); destroy=(); script=(); batched=(); script_destroy=()
for _ in $(seq "$runs"); do
    t=$(now); "$podnet" apply "$file" >/dev/null 2>&1; cold+=($(ms "$t" "$(now)"))
    # A no-op apply takes tens of milliseconds, where one scheduling hiccup shows:
    # fifteen of them per round, their median taken with the other rounds'.
    # The clock is read without a subshell around the command: a fork is a good part
    # of a millisecond, a few per cent of a no-op apply.
    for _ in $(seq 15); do
        start=${EPOCHREALTIME//[!0-9]/}; "$podnet" apply "$file" >/dev/null; end=${EPOCHREALTIME//[!0-9]/}
        noop+=($(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (e - s) / 1000 }'))
    done
    t=$(now); "$podnet" destroy "$file" >/dev/null; destroy+=($(ms "$t" "$(now)"))
    sleep 2   # the kernel frees destroyed namespaces asynchronously
    t=$(now); sh "$dir/script.sh" >/dev/null; script+=($(ms "$t" "$(now)"))
    "$podnet" diff --detailed-exitcode "$file" >/dev/null || { echo "the script did not build the cluster" >&2; exit 1; }
    t=$(now); destroy_by_hand; script_destroy+=($(ms "$t" "$(now)"))
    sleep 2
    t=$(now); sh "$dir/batched.sh" >/dev/null; batched+=($(ms "$t" "$(now)"))
    "$podnet" destroy --cluster pnbenchr >/dev/null
    sleep 2
done
c=$(median "${cold[@]}"); n=$(median "${noop[@]}"); d=$(median "${destroy[@]}")
s=$(median "${script[@]}"); b=$(median "${batched[@]}"); sd=$(median "${script_destroy[@]}")
echo "cluster: $nodes nodes × $pods pods (host-gw), $steps ip steps; medians of $runs runs ($((15 * runs)) for the no-op apply)"
printf "%-44s %8s ms\n" "podnet apply (cold)" "$c" "podnet apply (nothing to do)" "$n" "podnet destroy" "$d" \
    "shell script, one ip process per step" "$s" "ip -batch where possible ($batches processes)" "$b" "ip netns del of every namespace (batch)" "$sd"
awk -v c="$c" -v n="$n" -v s="$s" -v b="$b" 'BEGIN {
    printf "cold apply / script = %.3f (goal ≤ 0.1); cold apply / ip -batch = %.2f; no-op / cold = %.3f (goal ≤ 0.05)\n", c/s, c/b, n/c }'
