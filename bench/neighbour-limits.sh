# Sourced by the check benchmarks: the kernel's neighbour table is one for all
# namespaces (gc_thresh3, 1024 by default) and a big lab's full mesh needs more.
#   raise_neighbour_limits MIN3 MIN2   raises them for the run (never lowers them);
#   restore_neighbour_limits           puts back what was there, after the lab's
#                                      entries have gone (call it after destroy).
saved_thresh2=$(cat /proc/sys/net/ipv4/neigh/default/gc_thresh2)
saved_thresh3=$(cat /proc/sys/net/ipv4/neigh/default/gc_thresh3)
raise_neighbour_limits() {
    sysctl -qw net.ipv4.neigh.default.gc_thresh3=$((saved_thresh3 > $1 ? saved_thresh3 : $1)) \
        net.ipv4.neigh.default.gc_thresh2=$((saved_thresh2 > $2 ? saved_thresh2 : $2))
}
restore_neighbour_limits() {
    sleep 2   # let the namespaces' neighbour entries go before the limits come back
    sysctl -qw net.ipv4.neigh.default.gc_thresh3="$saved_thresh3" net.ipv4.neigh.default.gc_thresh2="$saved_thresh2"
}
