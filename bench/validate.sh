#!/usr/bin/env bash
# Times `podnet validate` (a release build) on generated topologies of growing size.
# Prints the median of 5 runs per size. Usage: bench/validate.sh [PODNET]
set -euo pipefail
cd "$(dirname "$0")/.."
podnet=${1:-.build/release/podnet}
[ -x "$podnet" ] || swift build -c release --static-swift-stdlib --product podnet >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf "%-8s %8s %10s %12s\n" nodes pods services "median ms"
# nodes, pods per node, services
for size in "1 10 5" "10 100 50" "40 250 200" "100 200 1000"; do
    set -- $size
    file="$dir/t-$1-$2.yaml"
    bench/generate-topology.py --nodes "$1" --pods-per-node "$2" --services "$3" > "$file"
    times=()
    for _ in 1 2 3 4 5; do
        start=$(date +%s%N)
        "$podnet" validate --quiet "$file"
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000000 )))
    done
    median=$(printf "%s\n" "${times[@]}" | sort -n | sed -n 3p)
    printf "%-8s %8s %10s %12s\n" "$1" "$(( $1 * $2 ))" "$3" "$median"
done
