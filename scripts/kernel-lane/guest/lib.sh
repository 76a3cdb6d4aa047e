# Helpers for guest tests: `. /lane/lib.sh` first thing in a test.
#
# busybox sh runs its own applets (ip, ping, ...) ahead of PATH; these functions make
# the plain names mean the real programs copied into the guest, so tests read like
# the commands a user types.
ip() { /usr/sbin/ip "$@"; }
bridge() { /usr/sbin/bridge "$@"; }
nft() { /usr/sbin/nft "$@"; }
iptables() { /usr/sbin/iptables "$@"; }
iptables_save() { /usr/sbin/iptables-save "$@"; }
ping() { /usr/bin/ping "$@"; }
podnet() { /usr/bin/podnet "$@"; }
ipvsadm() { /usr/sbin/ipvsadm "$@"; }

# Ends the test as failed; the reason is what the lane reports after FAIL.
fail() {
    echo "$*" >"${LANE_REASON:-/dev/null}"
    echo "FAIL: $*"
    exit 1
}

step() { echo "-- $*"; }

# Runs a command; on failure ends the test with the message and the command's own
# last line of output, so the reason says what the kernel or podnet said.
run_or_fail() {
    local what=$1 out
    shift
    if ! out=$("$@" 2>&1); then
        [ -n "$out" ] && echo "$out"
        fail "$what: $(echo "$out" | grep -v '^[[:space:]]*$' | tail -n 1)"
    fi
    [ -z "$out" ] || echo "$out"
}

# One ping from inside namespace $1 to address $2; extra ping options may follow.
ping_from() {
    local ns=$1 addr=$2
    shift 2
    if ip netns exec "$ns" /usr/bin/ping -c 1 -W 2 "$@" "$addr" >/dev/null 2>&1; then
        echo "ok   $ns -> $addr${*:+ $*}"
    else
        fail "no reply: $ns -> $addr${*:+ $*}"
    fi
}

# Starts, in namespace PREFIX.POD for each POD after $1 and $2, a TCP server on port
# $2 that answers every connection with the pod's name; adds their pids to $servers
# (the real ip execs nc, so $! is the server itself). Waits a second for them.
start_name_servers() {
    local prefix=$1 port=$2 pod
    shift 2
    for pod in "$@"; do
        /usr/sbin/ip netns exec "$prefix.$pod" /bin/busybox nc -ll -p "$port" -e echo "$pod" &
        servers="${servers:-} $!"
    done
    sleep 1
}

# $4 TCP connections from namespace $1 to $2 port $3 (busybox nc, servers that
# answer with their name): one "NAME COUNT" line per answer, "failed" for none.
tally_answers() {
    local i answer
    for i in $(seq "$4"); do
        answer=$(ip netns exec "$1" /bin/busybox nc -w 2 "$2" "$3" </dev/null 2>/dev/null || true)
        echo "${answer:-failed}"
    done | sort | uniq -c | awk '{ print $2, $1 }'
}

# How many connections NAME ($1) answered in a tally ($2); "other" counts every
# connection that none of the names after it ($3…) answered.
answered() {
    local name=$1 tally=$2
    shift 2
    if [ "$name" = other ]; then
        echo "$tally" | awk -v known=" $* " 'index(known, " " $1 " ") == 0 { c += $2 } END { print c + 0 }'
    else
        echo "$tally" | awk -v n="$name" '$1 == n { c = $2 } END { print c + 0 }'
    fi
}

# Fails unless no named namespace is left.
expect_no_namespaces() {
    local left
    left=$(ip netns list)
    [ -z "$left" ] || fail "namespaces left after $1: $(echo "$left" | tr "\n" " ")"
    echo "ok   no namespace left after $1"
}

# Sum of the packets sent through the IP-in-IP tunnel devices (ARPHRD_TUNNEL, 768)
# of namespace $1, read from its own /sys (ip netns exec mounts one).
ipip_tx_packets() {
    ip netns exec "$1" /bin/sh -c '
        total=0
        for dev in /sys/class/net/*; do
            [ "$(cat "$dev/type")" = 768 ] || continue
            total=$((total + $(cat "$dev/statistics/tx_packets")))
        done
        echo $total'
}
