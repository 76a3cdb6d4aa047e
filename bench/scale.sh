#!/usr/bin/env bash
# podnet at scale against the seed's ways, in one run (as root): host-gw labs of
# 20 × 10, 40 × 25 and 70 × 71 pods (221, 1,041 and 5,041 namespaces). For each:
#   podnet apply (cold, with its peak resident size), apply (nothing to do), destroy
#   a shell script with one ip process per step (podnet diff --output commands, run by sh)
#   the same grouped into ip -batch processes where iproute2 allows (bench/batch-by-namespace.py)
# and, after the ip -batch build, `ip -batch` of one `netns del` per namespace (destroy's floor).
# Usage: bench/scale.sh [--runs N] [--script-limit COUNT] [--batch-limit COUNT] [--sizes "20x10 40x25 70x71"]
#   --runs N               medians of N runs per size (default 1; the no-op apply: 5 per run)
#   --script-limit COUNT   run the one-process-per-step script only on labs of at most COUNT
#                          namespaces (at 5,041 it took 22 minutes); the table says where it was skipped
#   --batch-limit COUNT    the same for the ip -batch build (11 minutes at 5,041)
# Between runs the script waits for the kernel to finish freeing the namespaces destroyed
# (it does so on its workqueues, for seconds after 5,000 of them, and competes for the rtnl
# lock meanwhile): until the machine's system time falls under a fifth of a processor.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1; script_limit=1000000; batch_limit=1000000; sizes="20x10 40x25 70x71"
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --script-limit) script_limit=$2; shift 2 ;;
        --batch-limit) batch_limit=$2; shift 2 ;;
        --sizes) sizes=$2; shift 2 ;;
        *) echo "usage: bench/scale.sh [--runs N] [--script-limit COUNT] [--batch-limit COUNT] [--sizes \"20x10 40x25 70x71\"]" >&2; exit 64 ;;
    esac
done
swift build -c release --static-swift-stdlib --product podnet >/dev/null   # static: starts in ~4 ms, not ~7
podnet=$PWD/.build/release/podnet
cluster=pnsbench
dir=$(mktemp -d)
cleanup() { "$podnet" destroy --cluster "$cluster" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

# The shell's own clock (bash 5), microseconds; its decimal point follows the locale.
now() { echo "${EPOCHREALTIME//[!0-9]/}"; }
ms() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.1f", (e - s) / 1000 }'; }
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
destroy_by_hand() { ip netns list | awk '{print $1}' | { grep "^$cluster\\." || true; } | sed 's/^/netns del /' | ip -batch - ; }
# System time of all processors, in clock ticks (100 a second per processor).
system_ticks() { awk '/^cpu / {print $4}' /proc/stat; }
quiet() {
    sleep 1
    local calm=0 before after
    for _ in $(seq 60); do
        before=$(system_ticks); sleep 1; after=$(system_ticks)
        if [ $((after - before)) -lt 20 ]; then calm=$((calm + 1)); else calm=0; fi
        [ "$calm" -ge 2 ] && return
    done
    echo "bench/scale.sh: the machine stayed busy in the kernel for a minute; measuring anyway" >&2
}

rows=()
for size in $sizes; do
    nodes=${size%x*}; pods=${size#*x}
    file=$dir/$size.yaml
    bench/generate-topology.py --name "$cluster" --nodes "$nodes" --pods-per-node "$pods" --services 0 > "$file"
    namespaces=$((nodes * pods + nodes + 1))
    "$podnet" destroy --cluster "$cluster" >/dev/null
    "$podnet" diff --output commands "$file" > "$dir/script.sh"
    python3 bench/batch-by-namespace.py < "$dir/script.sh" > "$dir/batched.sh"
    steps=$(wc -l < "$dir/script.sh")
    run_script=$([ "$namespaces" -le "$script_limit" ] && echo yes || echo no)
    run_batch=$([ "$namespaces" -le "$batch_limit" ] && echo yes || echo no)
    cold=(); noop=(); destroy=(); script=(); batched=(); by_hand=(); rss=()
    for _ in $(seq "$runs"); do
        quiet
        t=$(now); /usr/bin/time -f %M -o "$dir/rss" "$podnet" apply "$file" >/dev/null 2>&1; cold+=("$(ms "$t" "$(now)")")
        rss+=("$(tail -1 "$dir/rss")")
        for _ in $(seq 5); do
            t=$(now); "$podnet" apply "$file" >/dev/null; noop+=("$(ms "$t" "$(now)")")
        done
        t=$(now); "$podnet" destroy "$file" >/dev/null; destroy+=("$(ms "$t" "$(now)")")
        if [ "$run_script" = yes ]; then
            quiet
            t=$(now); sh "$dir/script.sh" >/dev/null; script+=("$(ms "$t" "$(now)")")
            "$podnet" diff --detailed-exitcode "$file" >/dev/null || { echo "the script did not build the cluster" >&2; exit 1; }
            destroy_by_hand
        fi
        if [ "$run_batch" = yes ]; then
            quiet
            t=$(now); sh "$dir/batched.sh" >/dev/null; batched+=("$(ms "$t" "$(now)")")
            "$podnet" diff --detailed-exitcode "$file" >/dev/null || { echo "ip -batch did not build the cluster" >&2; exit 1; }
            t=$(now); destroy_by_hand; by_hand+=("$(ms "$t" "$(now)")")
        fi
    done
    c=$(median "${cold[@]}"); n=$(median "${noop[@]}"); d=$(median "${destroy[@]}")
    s=$([ "$run_script" = yes ] && median "${script[@]}" || echo skipped)
    b=$([ "$run_batch" = yes ] && median "${batched[@]}" || echo skipped)
    h=$([ "$run_batch" = yes ] && median "${by_hand[@]}" || echo skipped)
    rows+=("$nodes×$pods $namespaces $steps $c $n $d $s $b $h $(median "${rss[@]}")")
    echo "measured $nodes × $pods ($namespaces namespaces)" >&2
done

echo "host-gw labs, release build linked statically, whole processes; medians of $runs run(s) (no-op: $((5 * runs)))"
printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" lab namespaces "ip steps" "podnet cold" \
    "per namespace" "no-op (% of cold)" "destroy (% of cold)" "one ip per step (cold/script)" \
    "ip -batch (cold/batch)" "ip -batch netns del (destroy/it)" "peak RSS"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
first_per_ns=""
for row in "${rows[@]}"; do
    read -r lab ns steps c n d s b h r <<<"$row"
    awk -v lab="$lab" -v ns="$ns" -v steps="$steps" -v c="$c" -v n="$n" -v d="$d" -v s="$s" -v b="$b" -v h="$h" -v r="$r" 'BEGIN {
        script = (s == "skipped") ? "skipped (--script-limit)" : sprintf("%.0f ms (%.3f)", s, c / s)
        batch = (b == "skipped") ? "skipped (--batch-limit)" : sprintf("%.0f ms (%.2f)", b, c / b)
        del = (h == "skipped") ? "skipped (--batch-limit)" : sprintf("%.0f ms (%.2f)", h, d / h)
        printf "| %s | %d | %d | %.0f ms | %.3f ms | %.1f ms (%.1f%%) | %.1f ms (%.1f%%) | %s | %s | %s | %.1f MiB |\n",
            lab, ns, steps, c, c / ns, n, 100 * n / c, d, 100 * d / c, script, batch, del, r / 1024 }'
    [ -z "$first_per_ns" ] && first_per_ns=$(awk -v c="$c" -v ns="$ns" 'BEGIN { print c / ns }')
    last_per_ns=$(awk -v c="$c" -v ns="$ns" 'BEGIN { print c / ns }')
done
awk -v f="$first_per_ns" -v l="$last_per_ns" 'BEGIN {
    printf "cost per namespace, largest lab / smallest: %.2f (goal ≤ 1.5); goals: cold/script ≤ 0.05, cold/batch ≤ 0.5, no-op ≤ 3%%, destroy ≤ 5%%, peak RSS < 200 MiB\n", l / f }'
