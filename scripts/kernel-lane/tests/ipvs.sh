# proxy.mode ipvs (issue 6): `podnet apply` builds a one-node lab: a node with a
# pod bridge, endpoints a0 and a1 of service web (10.96.0.2:8080), a
# client c, and a service without endpoints (10.96.0.3:80). Proven here:
#   - kube-ipvs0 (dummy, down) holds the ClusterIPs; ipvsadm -Ln shows what podnet
#     reads; a second apply has nothing to do;
#   - c -> ClusterIP reaches both endpoints, evenly (round robin) over 50 connections;
#   - hairpin: a0 reaches itself through the ClusterIP;
#   - the port without endpoints refuses at once, on its first SYN (a TCP reset rule;
#     IPVS's own ICMP port unreachable comes back while the client's connect() holds
#     its socket lock, is dropped, and the refusal waits for the SYN's retransmit);
#   - controls: without the reject rule, without the hairpin masquerade, with
#     net.ipv4.vs.conntrack=0, or with bridge-nf-call-iptables=0, the cases that need
#     them fail; apply repairs each;
#   - one service changed: the plan is one IPVS change and one nft set element, and
#     traffic follows;
#   - podnet check (its own listeners, before the test starts its servers): every
#     pod reaches the service, both endpoints answer;
#   - destroy takes everything (the node's namespace, and its IPVS with it);
#   - with IPVS unloaded, apply refuses before changing anything.
. /lane/lib.sh
set -eu

topology=/tmp/ipvs.yaml
changed=/tmp/ipvs-changed.yaml
node=ipvs.node-0
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2>/dev/null || true; done
    podnet destroy "$topology" >/dev/null 2>&1 || true
}
trap cleanup EXIT

cat >"$topology" <<'YAML'
name: ipvs
clusterCIDR: 10.200.0.0/16
serviceCIDR: 10.96.0.0/12
network: { backend: host-gw }
proxy: { mode: ipvs }
nodes:
  - { name: node-0, bridge: br0 }
pods:
  - { name: a0, node: node-0, ip: 10.200.0.2, labels: { app: web } }
  - { name: a1, node: node-0, ip: 10.200.0.3, labels: { app: web } }
  - { name: c, node: node-0, ip: 10.200.0.4 }
services:
  - { name: web, clusterIP: 10.96.0.2, selector: { app: web }, ports: [{ port: 8080 }] }
  - { name: empty, clusterIP: 10.96.0.3, selector: { app: none }, ports: [{ port: 80, targetPort: 8080 }] }
YAML
sed 's/selector: { app: web }/endpoints: [a1]/' "$topology" >"$changed"

# Milliseconds of guest uptime (10 ms resolution).
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# One TCP connection from namespace $1 to $2 port $3; prints what the server said.
connect() { ip netns exec "ipvs.$1" /bin/busybox nc -w "${4:-2}" "$2" "$3" </dev/null 2>&1; }

# Connections from $1 to the web ClusterIP until one is answered by $2 (at most $3,
# default 4: round robin over two endpoints answers each every other time; random
# choice, in the other modes, misses 16 times in a row once in 65,536). Fails otherwise.
reach() {
    local from=$1 want=$2 i answer
    for i in $(seq "${3:-4}"); do
        answer=$(connect "$from" 10.96.0.2 8080 || true)
        [ "$answer" = "$want" ] && { echo "ok   $from -> 10.96.0.2:8080 answered by $want (try $i)"; return 0; }
    done
    return 1
}

step "apply"
run_or_fail "podnet apply" podnet apply "$topology"

step "what the kernel holds"
ip -n "$node" -d link show kube-ipvs0
ip -n "$node" -d link show kube-ipvs0 | grep -q 'dummy' || fail "kube-ipvs0 is not a dummy"
ip -n "$node" link show kube-ipvs0 | grep -q 'state DOWN' || fail "kube-ipvs0 is not down"
addresses=$(ip -n "$node" -4 -o addr show dev kube-ipvs0 | awk '{ print $4 }' | tr '\n' ' ')
[ "$addresses" = "10.96.0.2/32 10.96.0.3/32 " ] || fail "kube-ipvs0 holds '$addresses'"
echo "ok   kube-ipvs0: dummy, down, $addresses"
ip -n "$node" route show table local dev kube-ipvs0
ip netns exec "$node" /usr/sbin/ipvsadm -Ln | tee /tmp/ipvsadm.txt
grep -q 'TCP  10.96.0.2:8080 rr' /tmp/ipvsadm.txt || fail "ipvsadm shows no TCP 10.96.0.2:8080 rr"
[ "$(grep -c -E -- '-> 10\.200\.0\.[23]:8080 +Masq +1' /tmp/ipvsadm.txt)" = 2 ] || fail "ipvsadm does not show both endpoints (Masq, weight 1)"
grep -q 'TCP  10.96.0.3:80 rr' /tmp/ipvsadm.txt || fail "ipvsadm shows no service 10.96.0.3:80"
for key in vs.conntrack vs.expire_nodest_conn vs.expire_quiescent_template conf.all.arp_ignore conf.all.arp_announce; do
    echo "     net.ipv4.$key = $(ip netns exec "$node" cat "/proc/sys/net/ipv4/$(echo "$key" | tr . /)")"
done
ip netns exec "$node" /usr/sbin/nft list table ip podnet-ipvs
shown=$(podnet show -f "$topology")
echo "$shown" | grep -E 'IPVS SERVICE|TCP 10\.96' 
echo "$shown" | grep -q "ipvs.node-0 *TCP 10.96.0.2:8080 *rr *10.200.0.2:8080 masq 1, 10.200.0.3:8080 masq 1" || fail "podnet show does not list the IPVS service with its real servers"
echo "$shown" | grep -q "TCP 10.96.0.3:80 *rr *(none: refused)" || fail "podnet show does not list the service without endpoints"
echo "ok   podnet show lists the IPVS services as it reads them"

step "a second apply has nothing to do"
out=$(podnet diff --detailed-exitcode "$topology") || fail "diff after apply: $out"
echo "ok   $out"

step "podnet check: every pod reaches web, both endpoints answer"
out=$(podnet check --services-only --connections 50 "$topology") || { echo "$out"; fail "podnet check"; }
echo "$out"

step "servers: a0 and a1 answer with their name on 8080"
start_name_servers ipvs 8080 a0 a1
for pod in a0 a1; do
    ip=$([ $pod = a0 ] && echo 10.200.0.2 || echo 10.200.0.3)
    [ "$(connect c "$ip" 8080)" = "$pod" ] || fail "c cannot reach $pod directly at $ip:8080"
done
echo "ok   both servers answer c directly"

step "c -> 10.96.0.2:8080, 50 connections (c shares the bridge with both endpoints)"
start=$(ms)
tally=$(tally_answers ipvs.c 10.96.0.2 8080 50)
a0=$(answered a0 "$tally"); a1=$(answered a1 "$tally"); other=$(answered other "$tally" a0 a1)
echo "     a0: $a0, a1: $a1, failed: $other ($(( $(ms) - start )) ms for 50 connections)"
[ "$other" = 0 ] || fail "$other of 50 connections to the ClusterIP failed"
[ "$a0" -ge 20 ] && [ "$a1" -ge 20 ] || fail "unbalanced: a0 $a0, a1 $a1"
echo "ok   balanced"

step "hairpin: a0 -> 10.96.0.2:8080 reaches a0 itself"
reach a0 a0 || fail "a0 never reached itself through its ClusterIP"
reach a0 a1 || fail "a0 never reached a1 through the ClusterIP"

# A TCP counter of namespace $1 (/proc/net/snmp Tcp or /proc/net/netstat TcpExt).
counter() {
    ip netns exec "ipvs.$1" cat /proc/net/snmp /proc/net/netstat |
        awk -v k="$2" '$1 ~ /^Tcp(Ext)?:$/ { if (!(($1) in head)) { head[$1] = 1; for (i = 2; i <= NF; i++) name[$1, i] = $i; next }
                         for (i = 2; i <= NF; i++) if (name[$1, i] == k) print $i }'
}

# Connects c to the port without endpoints; fails unless refused. Prints the time
# and whether the SYN was retransmitted (the refusal came late).
refuse() {
    local before after start out elapsed
    before=$(counter c RetransSegs)
    start=$(ms)
    if out=$(connect c 10.96.0.3 80 5); then fail "10.96.0.3:80 answered: $out"; fi
    elapsed=$(( $(ms) - start ))
    after=$(counter c RetransSegs)
    echo "$out" | grep -q -i 'refused' || fail "10.96.0.3:80 did not refuse the connection: $out"
    echo "     $out: $elapsed ms, $((after - before)) SYN retransmitted"
    [ "$after" = "$before" ]
}

step "a port without endpoints refuses at once (its first SYN gets a TCP reset)"
refuse || fail "the SYN to 10.96.0.3:80 was retransmitted before the refusal"
echo "ok   refused on the first SYN"

step "control: IPVS alone (no reject rule) refuses only on the SYN's retransmit"
dropped=$(counter c LockDroppedIcmps)
ip netns exec "$node" /usr/sbin/nft flush chain ip podnet-ipvs filter-input
if refuse; then fail "refused on the first SYN without the reject rule: the rule is not needed"; fi
echo "ok   IPVS's own ICMP port unreachable was dropped by c's locked socket (TcpExt LockDroppedIcmps $dropped -> $(counter c LockDroppedIcmps)); refused a second later"
run_or_fail "podnet apply (repair)" podnet apply "$topology"
refuse || fail "the reject rule was not repaired by apply"

step "control: without the hairpin masquerade, a0 cannot reach itself"
ip netns exec "$node" /usr/sbin/nft delete table ip podnet-ipvs
if reach a0 a0 2>/dev/null; then fail "a0 reached itself without the hairpin masquerade: the rule is not what makes it work"; fi
echo "ok   a0 -> itself fails without the masquerade"
run_or_fail "podnet apply (repair)" podnet apply "$topology"
reach a0 a0 || fail "hairpin not repaired by apply"

step "control: with net.ipv4.vs.conntrack=0 the masquerade never sees IPVS traffic"
ip netns exec "$node" /bin/busybox sysctl -qw net.ipv4.vs.conntrack=0
if reach a0 a0 2>/dev/null; then fail "a0 reached itself with vs.conntrack=0"; fi
echo "ok   a0 -> itself fails with vs.conntrack=0"
run_or_fail "podnet apply (repair)" podnet apply "$topology"
reach a0 a0 || fail "hairpin not repaired by apply"

step "control: with bridge-nf-call-iptables=0, an endpoint's bridged answer escapes IPVS"
ip netns exec "$node" /bin/busybox sysctl -qw net.bridge.bridge-nf-call-iptables=0
if reach c a0 2>/dev/null; then fail "c reached a0 through the ClusterIP with bridge-nf-call-iptables=0"; fi
echo "ok   c -> ClusterIP -> a0 fails with bridge-nf-call-iptables=0"
run_or_fail "podnet apply (repair)" podnet apply "$topology"
reach c a0 || fail "c -> a0 not repaired by apply"

step "one service changed (web: endpoints [a1]): one IPVS change and a0's hairpin element"
set +e
out=$(podnet diff --detailed-exitcode "$changed"); status=$?
set -e
echo "$out"
[ "$status" = 2 ] || fail "diff of the changed file exited $status"
[ "$(echo "$out" | grep -c '^[-+~] ')" = 2 ] || fail "not the minimal plan of two operations"
echo "$out" | grep -q '^- ip netns exec ipvs.node-0 ipvsadm -d -t 10.96.0.2:8080 -r 10.200.0.2:8080 ' || fail "the IPVS change is not the deletion of a0"
echo "$out" | grep -q '^- ip netns exec ipvs.node-0 nft delete element ip podnet-ipvs hairpin { 10.200.0.2 . tcp . 8080 . 10.200.0.2 }' || fail "the other operation is not a0's hairpin element"
run_or_fail "podnet apply changed" podnet apply "$changed"
for i in 1 2 3 4 5 6; do
    answer=$(connect c 10.96.0.2 8080 || true)
    [ "$answer" = a1 ] || fail "after the change, connection $i was answered by '$answer'"
done
echo "ok   6 connections, all to a1"
run_or_fail "podnet apply back" podnet apply "$topology"
out=$(podnet diff --detailed-exitcode "$topology") || fail "diff after applying back: $out"

step "a service removed from the file: its IPVS services go, the others stay"
sed '/name: empty/d' "$topology" >/tmp/ipvs-fewer.yaml
run_or_fail "podnet apply (fewer services)" podnet apply /tmp/ipvs-fewer.yaml
ip netns exec "$node" /usr/sbin/ipvsadm -Ln | grep -q 'TCP  10.96.0.3:80' && fail "10.96.0.3:80 still in IPVS"
ip netns exec "$node" /usr/sbin/ipvsadm -Ln | grep -q 'TCP  10.96.0.2:8080 rr' || fail "10.96.0.2:8080 went too"
echo "ok   10.96.0.3:80 deleted, 10.96.0.2:8080 kept"

step "a foreign IPVS service (outside the serviceCIDR) survives apply"
ip netns exec "$node" /usr/sbin/ipvsadm -A -t 192.0.2.10:80 -s rr
run_or_fail "podnet apply (foreign service)" podnet apply "$topology"
ip netns exec "$node" /usr/sbin/ipvsadm -Ln | grep -q 'TCP  192.0.2.10:80' || fail "apply deleted a service podnet does not own"
out=$(podnet diff --detailed-exitcode "$topology") || fail "diff sees the foreign service: $out"
echo "ok   192.0.2.10:80 left alone"

step "the live cluster switched to nftables, then iptables mode, then back to ipvs"
for mode in nftables iptables ipvs; do
    sed "s/mode: ipvs/mode: $mode/" "$topology" >/tmp/ipvs-$mode.yaml
    run_or_fail "podnet apply ($mode mode)" podnet apply /tmp/ipvs-$mode.yaml
    out=$(podnet diff --detailed-exitcode /tmp/ipvs-$mode.yaml) || fail "diff after switching to $mode: $out"
    reach c a0 16 >/dev/null || fail "$mode mode: c does not reach a0 through the ClusterIP"
    reach c a1 16 >/dev/null || fail "$mode mode: c does not reach a1 through the ClusterIP"
    reach a0 a0 16 >/dev/null || fail "$mode mode: a0 does not reach itself through the ClusterIP"
    podnet_services=$(ip netns exec "$node" /usr/sbin/ipvsadm -Ln | grep -c -E '^(TCP|UDP) +10\.96\.' || true)
    if [ "$mode" = ipvs ]; then
        [ "$podnet_services" = 2 ] || fail "ipvs mode again: $podnet_services virtual servers on the serviceCIDR"
        ip -n "$node" link show kube-ipvs0 >/dev/null 2>&1 || fail "ipvs mode again: no kube-ipvs0"
    else
        [ "$podnet_services" = 0 ] || fail "$mode mode: $podnet_services IPVS virtual servers left on the serviceCIDR"
        ip -n "$node" link show kube-ipvs0 >/dev/null 2>&1 && fail "$mode mode: kube-ipvs0 left behind"
    fi
    ip netns exec "$node" /usr/sbin/ipvsadm -Ln | grep -q 'TCP  192.0.2.10:80' || fail "$mode mode: the foreign virtual server is gone"
    echo "ok   $mode mode: diff clean, c reaches a0 and a1, a0 reaches itself; IPVS as the mode wants, the foreign server kept"
done

step "destroy"
for pid in $servers; do kill "$pid" 2>/dev/null || true; done
servers=""
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"

step "without IPVS, apply refuses before changing anything"
# The destroyed namespaces' IPVS services hold the scheduler module until the
# kernel's asynchronous namespace cleanup has flushed them: retry for a while.
for module in ip_vs_rr ip_vs_wrr ip_vs_sh ip_vs; do
    tries=0
    until rmmod "$module" 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] || fail "rmmod $module"
        sleep 0.2
    done
done
if out=$(podnet apply "$topology" 2>&1); then fail "apply succeeded without IPVS"; fi
echo "$out"
echo "$out" | grep -q 'the kernel has no IPVS (CONFIG_IP_VS, module ip_vs)' || fail "not the clear refusal: $out"
expect_no_namespaces "a refused apply"
for module in ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh; do
    insmod "$(grep "/$module.ko" /lane/modules.list | cut -d' ' -f1)" || fail "insmod $module"
done
echo "ok   IPVS loaded again"
