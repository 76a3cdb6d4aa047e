# Not a check but a recorder: the bytes ipvsadm (libipvs over libnl) sends for each
# request podnet also sends, and the kernel's dump replies, so that podnet's
# byte-exact tests (Tests/PodnetNetlinkTests/IPVS) can compare against them. Passes
# whenever ipvsadm ran; read the hex in the console log.
. /lane/lib.sh
set -eu

ns=lane-ipvs-capture
trap 'ip netns delete "$ns" 2>/dev/null || true' EXIT
run_or_fail "ip netns add" ip netns add "$ns"
# Real servers must be unicast to the namespace's routing (ip_vs_new_dest checks
# inet_addr_type); a namespace without a routing table says "broadcast": EINVAL.
run_or_fail "lo up" ip -n "$ns" link set lo up

# The requests ipvsadm sends after its controller lookup; with "replies", the
# messages it receives too (dumps).
traced() {
    local calls=sendmsg
    [ "$1" = replies ] && { calls=sendmsg,recvmsg; shift; }
    echo "-- ipvsadm $*"
    ip netns exec "$ns" /usr/bin/strace -e trace=$calls -xx -s 4096 /usr/sbin/ipvsadm "$@" 2>&1 |
        grep -v -E 'nlmsg_type=0x10 |^\+\+\+|MSG_PEEK' || true
}

traced -A -t 10.96.0.2:8080 -s rr
traced -a -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m
traced -e -t 10.96.0.2:8080 -r 10.200.0.2:8080 -m -w 3
traced -E -t 10.96.0.2:8080 -s wrr -p 10800
traced -A -u 10.96.0.10:53 -s rr
traced replies -Ln
traced -d -t 10.96.0.2:8080 -r 10.200.0.2:8080
traced -D -t 10.96.0.2:8080
traced -D -u 10.96.0.10:53
