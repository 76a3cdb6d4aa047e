#!/usr/bin/env bash
# podnet watch repairing drift made by hand, on an N-node × M-pod host-gw cluster
# (default 20 × 10: 221 namespaces, each node with its nf_tables table), as root:
#   ROUNDS deletions of each kind, all kinds shuffled together: a node's route to another
#   node's pods (ip route del), a pod's veth (ip link del, from the node), a bridge port
#   (ip link set nomaster), a node's nf_tables table (nft delete table);
#   for each kind, deletion → repair time, min/median/max: from just before the deleting
#   command starts to the time on the line watch logs once the kernel reads back equal
#   to the file (and a new veth carries traffic);
#   then the processor time watch uses while nothing changes for IDLE seconds.
# Usage: bench/watch.sh [--nodes N] [--pods M] [--rounds R] [--idle SECONDS] [--kinds "route veth port table"]
#   (defaults 20 10 50 600, every kind)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=20; pods=10; rounds=50; idle=600; kinds="route veth port table"
while [ $# -gt 0 ]; do
    case $1 in
        --nodes) nodes=$2; shift 2 ;;
        --pods) pods=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --idle) idle=$2; shift 2 ;;
        --kinds) kinds=$2; shift 2 ;;
        *) echo "usage: $0 [--nodes N] [--pods M] [--rounds R] [--idle SECONDS] [--kinds \"route veth port table\"]" >&2; exit 64 ;;
    esac
done
swift build -c release --static-swift-stdlib --product podnet >/dev/null
podnet=$PWD/.build/release/podnet
cluster=pnwbench
dir=$(mktemp -d)
file=$dir/$cluster.yaml
watch_pid=
cleanup() {
    [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null || true
    "$podnet" destroy --cluster "$cluster" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
bench/generate-topology.py --name "$cluster" --nodes "$nodes" --pods-per-node "$pods" --services 0 > "$file"
"$podnet" destroy --cluster "$cluster" >/dev/null
"$podnet" apply "$file" >/dev/null 2>&1

coproc WATCH { exec "$podnet" watch -o json "$file" 2>"$dir/watch.err"; }
watch_pid=$WATCH_PID
exec {from_watch}<&"${WATCH[0]}"
# The next line of watch whose event is one of "$@" (30 s at most: a bound, not a figure).
next_event() {
    local line
    while read -r -t 30 -u "$from_watch" line; do
        for event in "$@"; do
            case $line in *"\"event\":\"$event\""*) echo "$line"; return 0 ;; esac
        done
    done
    echo "watch said nothing for 30 s; its stderr:" >&2; cat "$dir/watch.err" >&2; exit 1
}
next_event watching >/dev/null

deletions=$(for kind in $kinds; do for _ in $(seq "$rounds"); do echo "$kind"; done; done | shuf)
: > "$dir/results"
for kind in $deletions; do
    n=$((RANDOM % nodes)); p=$((RANDOM % pods)); ns=$cluster.node-$n
    case $kind in
        route) target=$(ip -n "$ns" route show | awk '/ via / && $1 ~ /^10\./ {print $1}' | shuf -n 1)
               command=(ip -n "$ns" route del "$target") ;;
        veth)  command=(ip -n "$ns" link del "pod-pod-$n-$p") ;;
        port)  command=(ip -n "$ns" link set "pod-pod-$n-$p" nomaster) ;;
        table) command=(ip netns exec "$ns" nft delete table ip "podnet-$cluster") ;;
    esac
    start=$EPOCHREALTIME
    "${command[@]}"
    line=$(next_event repaired failed)
    printf '%s %s %s\n' "$kind" "$start" "$line" >> "$dir/results"
    # A failed repair is tried again a second later: that one is this deletion's too.
    case $line in *'"event":"failed"'*) next_event repaired >/dev/null ;; esac
    sleep 0.3   # the look after the repair, and the new veth's own notifications, pass
done
"$podnet" diff --detailed-exitcode "$file" >/dev/null || { echo "the cluster differs from the file after the run" >&2; exit 1; }

echo "cluster: $nodes nodes × $pods pods (host-gw, $(ip netns list | grep -c "^$cluster\.") namespaces); $rounds deletions of each kind, shuffled; load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$dir/results" <<'PY' || { echo "watch's stderr:" >&2; cat "$dir/watch.err" >&2; exit 1; }
import json, sys
from datetime import datetime
times = {}
failed = 0
for raw in open(sys.argv[1]):
    kind, start, line = raw.split(" ", 2)
    entry = json.loads(line)
    if entry["event"] != "repaired":
        failed += 1
        print(f"{kind}: {entry.get('error')}", file=sys.stderr)
        continue
    repaired = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
    times.setdefault(kind, []).append((repaired - float(start.replace(",", "."))) * 1000)
names = {"route": "a route (ip route del)", "veth": "a pod's veth (ip link del)",
         "port": "a bridge port (ip link set nomaster)", "table": "the nf_tables table (nft delete table)"}
print(f"{'deleted by hand':44} {'repairs':>7} {'min':>8} {'median':>8} {'max':>8}   (ms, deletion → repair)")
for kind in ["route", "veth", "port", "table"]:
    values = sorted(times.get(kind, []))
    if not values:
        continue
    median = values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
    print(f"{names[kind]:44} {len(values):7} {values[0]:8.1f} {median:8.1f} {values[-1]:8.1f}")
every = sorted(v for values in times.values() for v in values)
if every:
    print(f"{'all':44} {len(every):7} {every[0]:8.1f} {every[len(every) // 2]:8.1f} {every[-1]:8.1f}   (goal: median < 200)")
if failed:
    print(f"{failed} repairs failed")
    sys.exit(1)
PY

# Idle: the processor time (user + system) of watch while nothing changes, and how
# often it woke (voluntary context switches).
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$watch_pid/stat"; }
wakeups() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$watch_pid/status"; }
t0=$(ticks); w0=$(wakeups)
sleep "$idle"
t1=$(ticks); w1=$(wakeups)
hz=$(getconf CLK_TCK)
awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$idle" -v w=$((w1 - w0)) 'BEGIN {
    printf "idle %d s: %.2f s of processor time (goal for 600 s: < 1 s), %d wakeups\n", s, t / hz, w }'
kill -TERM "$watch_pid"; status=0; wait "$watch_pid" || status=$?
watch_pid=
echo "SIGTERM: watch exited with status $status"
