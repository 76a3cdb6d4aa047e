# proxy.mode ipvs for traffic from outside the cluster (issue 14): a three-node lab
# (host-gw) with a client `outside` (192.168.64.7) on the underlay and service web,
# type NodePort (30080) with an external IP (192.168.70.10), over web-1 (node-1)
# and web-2 (node-2); node-0 has no endpoint. Proven here, through `podnet apply`:
#   - externalTrafficPolicy Cluster: 200 connections from the client to each node's
#     NodePort, and 100 to the external IP, all answered, each endpoint 35-65%, also
#     at node-0; the endpoints never see the client's address (masqueraded), and
#     what node-0 sends them comes from node-0's own address;
#   - Local: all 200 to node-1's NodePort reach web-1, which sees the client's
#     address; node-0 answers none: its SYNs are dropped (retransmitted, never
#     refused); control: without podnet's drop rule IPVS itself refuses them;
#   - internalTrafficPolicy Local: a pod on node-1 reaches only web-1 through the
#     ClusterIP;
#   - sessionAffinity ClientIP: `diff -o commands` prints `ipvsadm -E … -p 10800`,
#     and 50 connections from the client reach one endpoint;
#   - each change is a minimal plan (no virtual server re-created), diff is clean
#     after each apply, and destroy leaves nothing, the client included.
. /lane/lib.sh
set -eu

cluster=pnt3ext
topology=/tmp/$cluster.yaml
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2>/dev/null || true; done
    podnet destroy "$topology" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The file with the policies and affinity given: $1 external, $2 internal, $3 extra
# service lines (sessionAffinity).
write_topology() {
    cat >"$topology" <<YAML
name: $cluster
clusterCIDR: 10.200.0.0/16
serviceCIDR: 10.96.0.0/12
network: { backend: host-gw }
proxy: { mode: ipvs }
nodes:
  - { name: node-0, address: 192.168.64.4 }
  - { name: node-1, address: 192.168.64.5 }
  - { name: node-2, address: 192.168.64.6 }
clients:
  - { name: outside, address: 192.168.64.7 }
pods:
  - { name: web-1, node: node-1, labels: { app: web } }
  - { name: web-2, node: node-2, labels: { app: web } }
  - { name: p1, node: node-1 }
services:
  - name: web
    clusterIP: 10.96.0.10
    type: NodePort
    externalIPs: [192.168.70.10]
    externalTrafficPolicy: $1
    internalTrafficPolicy: $2
$3    selector: { app: web }
    ports:
      - { port: 80, targetPort: 8080, nodePort: 30080 }
YAML
}

# $4 connections from namespace CLUSTER.$1 to $2 port $3, in one `ip netns exec`:
# one "NAME COUNT" line per answer ("failed" for none), as lib.sh's tally_answers.
tally() {
    ip netns exec "$cluster.$1" /bin/sh -c '
        i=0
        while [ $i -lt '"$4"' ]; do
            a=$(/bin/busybox nc -w 2 '"$2 $3"' </dev/null 2>/dev/null)
            echo "${a:-failed}"
            i=$((i + 1))
        done' | sort | uniq -c | awk '{ print $2, $1 }'
}

# In each endpoint, a table of its own (pod namespaces carry no podnet table) counting
# the SYNs to 8080 it receives: from the client, from node-0's address, and in all.
# Made afresh for each measurement.
watch_sources() {
    for pod in web-1 web-2; do
        ip netns exec "$cluster.$pod" /usr/sbin/nft -f - <<'NFT'
table ip pnt3seen
delete table ip pnt3seen
table ip pnt3seen {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 8080 tcp flags & (syn | ack) == syn ip saddr 192.168.64.7 counter comment "client"
        tcp dport 8080 tcp flags & (syn | ack) == syn ip saddr 192.168.64.4 counter comment "node-0"
        tcp dport 8080 tcp flags & (syn | ack) == syn counter comment "all"
    }
}
NFT
    done
}

# SYNs endpoint $1 received from source $2 (client, node-0, all) since watch_sources.
seen() {
    ip netns exec "$cluster.$1" /usr/sbin/nft list chain ip pnt3seen input |
        awk -v c="comment \"$2\"" 'index($0, c) { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# A TCP counter of namespace CLUSTER.$1 (/proc/net/snmp Tcp), e.g. RetransSegs.
tcp_counter() {
    ip netns exec "$cluster.$1" cat /proc/net/snmp |
        awk -v k="$2" '$1 == "Tcp:" { if (!seen) { seen = 1; for (i = 2; i <= NF; i++) name[i] = $i; next }
                       for (i = 2; i <= NF; i++) if (name[i] == k) print $i }'
}

# Fails unless the tally ($1, of $2 connections to $3) is all answered, each endpoint 35-65%.
expect_balanced() {
    local web1 web2 other
    web1=$(answered web-1 "$1"); web2=$(answered web-2 "$1"); other=$(answered other "$1" web-1 web-2)
    [ "$other" = 0 ] || fail "$3: $other of $2 connections not answered"
    [ $((web1 * 100)) -ge $(($2 * 35)) ] && [ $((web1 * 100)) -le $(($2 * 65)) ] || fail "$3: web-1 $web1, web-2 $web2 of $2"
    echo "ok   $3: web-1 $web1, web-2 $web2 of $2, all answered"
}

# Fails unless diff after an apply has nothing to do.
expect_converged() {
    local out
    out=$(podnet diff --detailed-exitcode "$topology") || fail "diff after $1: $out"
}

step "apply (externalTrafficPolicy Cluster)"
write_topology Cluster Cluster ""
run_or_fail "podnet apply" podnet apply "$topology"
expect_converged "apply"
for node in node-0 node-1 node-2; do
    echo "     $cluster.$node: $(ip netns exec "$cluster.$node" /usr/sbin/ipvsadm -Ln | grep -E '^TCP|->' | grep -v Remote | tr -s ' ' | tr '\n' ';')"
done
ip netns exec "$cluster.node-0" /usr/sbin/ipvsadm -Ln | grep -q 'TCP  192.168.64.4:30080 rr' || fail "node-0 has no virtual server on its address at 30080"
ip -n "$cluster.node-0" -4 -o addr show dev kube-ipvs0 | grep -q '192.168.70.10/32' || fail "kube-ipvs0 does not hold the external IP"
ip netns exec "$cluster.node-0" /usr/sbin/nft list table ip "podnet-$cluster"
ip -n "$cluster.outside" route show
start_name_servers "$cluster" 8080 web-1 web-2

for node in node-0:192.168.64.4 node-1:192.168.64.5 node-2:192.168.64.6; do
    name=${node%%:*}; address=${node#*:}
    step "Cluster: 200 connections from the client to $name's NodePort $address:30080"
    watch_sources
    expect_balanced "$(tally outside "$address" 30080 200)" 200 "$name:30080"
    client=$(( $(seen web-1 client) + $(seen web-2 client) ))
    [ "$client" = 0 ] || fail "Cluster: the endpoints saw the client's address $client times (not masqueraded)"
    if [ "$name" = node-0 ]; then
        from_node=$(( $(seen web-1 node-0) + $(seen web-2 node-0) )); all=$(( $(seen web-1 all) + $(seen web-2 all) ))
        [ "$from_node" = "$all" ] || fail "Cluster at node-0: $from_node of $all SYNs came from node-0's address"
        echo "ok   the endpoints saw node-0's address (192.168.64.4) for all $all, never the client's"
    else
        echo "ok   the endpoints never saw the client's address"
    fi
done

step "Cluster: 100 connections from the client to the external IP 192.168.70.10:80"
watch_sources
expect_balanced "$(tally outside 192.168.70.10 80 100)" 100 "192.168.70.10:80"
[ $(( $(seen web-1 client) + $(seen web-2 client) )) = 0 ] || fail "external IP, Cluster: the client's address reached an endpoint"

step "externalTrafficPolicy Local: a minimal plan (real servers and set elements, no virtual server re-created)"
write_topology Local Cluster ""
set +e
out=$(podnet diff --detailed-exitcode "$topology"); status=$?
set -e
echo "$out"
[ "$status" = 2 ] || fail "diff to Local exited $status"
echo "$out" | grep -q -E 'ipvsadm -[AD] ' && fail "changing the policy re-created a virtual server"
echo "$out" | grep -q 'ipvsadm -d -t 192.168.64.5:30080 -r ' || fail "node-1's NodePort did not lose web-2"
echo "$out" | grep -q "nft add element ip podnet-$cluster no-local-endpoints { 192.168.64.4 . tcp . 30080" || fail "node-0's NodePort is not added to the drops"
run_or_fail "podnet apply (Local)" podnet apply "$topology"
expect_converged "apply (Local)"

step "Local: 200 connections to node-1's NodePort all reach web-1, which sees the client"
watch_sources
tally=$(tally outside 192.168.64.5 30080 200)
[ "$(answered web-1 "$tally")" = 200 ] || fail "Local at node-1: $tally"
[ "$(seen web-1 client)" = "$(seen web-1 all)" ] && [ "$(seen web-1 all)" -ge 200 ] || fail "Local: web-1 saw the client $(seen web-1 client) of $(seen web-1 all) times"
echo "ok   200 of 200 to web-1; web-1 saw the client's address 192.168.64.7 in all $(seen web-1 all) SYNs"
tally=$(tally outside 192.168.70.10 80 50)
[ "$(answered web-1 "$tally")" = 50 ] || fail "Local at the external IP (routed via node-1): $tally"
echo "ok   the external IP (the client routes it via node-1): 50 of 50 to web-1"

# Connects the client to node-0's NodePort $1 times; fails unless none is answered.
# Prints the SYNs the client retransmitted and what nc said.
unanswered() {
    local before after out i
    before=$(tcp_counter outside RetransSegs)
    for i in $(seq "$1"); do
        if out=$(ip netns exec "$cluster.outside" /bin/busybox nc -w 3 192.168.64.4 30080 </dev/null 2>&1); then
            fail "node-0 answered: $out"
        fi
    done
    after=$(tcp_counter outside RetransSegs)
    echo "$((after - before)) $(echo "$out" | tr '\n' ' ')"
}

step "Local: node-0 (no local endpoint) answers none: dropped, not refused"
result=$(unanswered 3)
echo "     $result"
echo "$result" | grep -q -i refused && fail "node-0 refused instead of dropping: $result"
[ "${result%% *}" -ge 3 ] || fail "the client's SYNs were not retransmitted (an answer came): $result"
echo "ok   3 connections, no answer, SYNs retransmitted (${result%% *}), never refused"

step "control: without the drop rule, IPVS alone refuses (a virtual server without real servers)"
handle=$(ip netns exec "$cluster.node-0" /usr/sbin/nft -a list chain ip "podnet-$cluster" filter-input |
    awk '/@no-local-endpoints drop/ { print $NF }')
[ -n "$handle" ] || fail "no drop rule in node-0's filter-input"
ip netns exec "$cluster.node-0" /usr/sbin/nft delete rule ip "podnet-$cluster" filter-input handle "$handle"
if out=$(ip netns exec "$cluster.outside" /bin/busybox nc -w 5 192.168.64.4 30080 </dev/null 2>&1); then fail "node-0 answered: $out"; fi
echo "$out" | grep -q -i refused || fail "without the drop rule the connection was not refused: $out"
echo "ok   without the rule: $out"
run_or_fail "podnet apply (repair)" podnet apply "$topology"
result=$(unanswered 1)
echo "$result" | grep -q -i refused && fail "the drop rule was not repaired: $result"
echo "ok   repaired: dropped again"

step "internalTrafficPolicy Local: a pod on node-1 reaches only web-1 through the ClusterIP"
write_topology Local Local ""
run_or_fail "podnet apply (internal Local)" podnet apply "$topology"
expect_converged "apply (internal Local)"
ip netns exec "$cluster.node-1" /usr/sbin/ipvsadm -Ln -t 10.96.0.10:80
tally=$(tally p1 10.96.0.10 80 50)
[ "$(answered web-1 "$tally")" = 50 ] || fail "internal Local from p1: $tally"
echo "ok   50 of 50 from p1 (node-1) to web-1"

step "sessionAffinity ClientIP: diff -o commands edits each virtual server with -p 10800"
write_topology Cluster Cluster "    sessionAffinity: ClientIP
"
out=$(podnet diff -o commands "$topology")
echo "$out"
echo "$out" | grep -q "ip netns exec $cluster.node-0 ipvsadm -E -t 192.168.64.4:30080 -s rr -p 10800" ||
    fail "diff -o commands does not print the persistent edit of node-0's NodePort"
run_or_fail "podnet apply (ClientIP)" podnet apply "$topology"
expect_converged "apply (ClientIP)"
ip netns exec "$cluster.node-0" /usr/sbin/ipvsadm -Ln | grep -q 'TCP  192.168.64.4:30080 rr persistent 10800' ||
    fail "ipvsadm does not list node-0's NodePort as persistent 10800"
for address in 192.168.64.4 192.168.64.6; do
    tally=$(tally outside "$address" 30080 50)
    web1=$(answered web-1 "$tally"); web2=$(answered web-2 "$tally")
    { [ "$web1" = 50 ] || [ "$web2" = 50 ]; } || fail "ClientIP at $address: web-1 $web1, web-2 $web2 of 50"
    echo "ok   $address:30080: 50 of 50 to one endpoint (web-1 $web1, web-2 $web2)"
done

step "back to ClusterIP: the NodePorts and the external IP go"
sed -e '/type: NodePort/d' -e 's/, nodePort: 30080//' -e '/externalIPs:/d' -e '/TrafficPolicy:/d' -e '/sessionAffinity:/d' "$topology" >/tmp/$cluster-clusterip.yaml
run_or_fail "podnet apply (ClusterIP)" podnet apply /tmp/$cluster-clusterip.yaml
out=$(podnet diff --detailed-exitcode /tmp/$cluster-clusterip.yaml) || fail "diff after ClusterIP: $out"
ip netns exec "$cluster.node-0" /usr/sbin/ipvsadm -Ln | grep -q -E '192\.168\.(64\.4:30080|70\.10:80)' && fail "a NodePort or external-IP virtual server is left"
ip -n "$cluster.node-0" -4 -o addr show dev kube-ipvs0 | grep -q 192.168.70.10 && fail "kube-ipvs0 still holds the external IP"
echo "ok   only the ClusterIP's virtual server is left"

step "destroy"
for pid in $servers; do kill "$pid" 2>/dev/null || true; done
servers=""
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
