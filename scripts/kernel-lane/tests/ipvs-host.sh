# proxy.mode ipvs in host mode (`podnet apply --node NAME`): two hosts emulated as
# namespaces on one switch, as Tests/PodnetCLITests/HostModeEndToEndTests does, each
# running `ip netns exec HOST podnet apply --node node-N` on the same file (host-gw;
# service web 10.96.0.2:8080 over a0 on node-0 and b on node-1; a service without
# endpoints, 10.96.0.3:80). Each host also has things of its own: a bridge, a route,
# an nf_tables table and a foreign IPVS service outside the serviceCIDR. Proven here:
#   - kube-ipvs0 (dummy, down) in the host holds the ClusterIPs; `ipvsadm -Ln` in the
#     host shows web with both endpoints (Masq); diff --detailed-exitcode --node is 0;
#   - podnet check (run inside a host) and nc: c on node-0 reaches the ClusterIP and
#     both endpoints answer, the one beside it and the one on the other host;
#   - the foreign IPVS services survive apply, diff and destroy, also one inside the
#     serviceCIDR whose address a device podnet does not own holds (kube-proxy's, on a
#     host that uses the same service CIDR);
#   - web as a NodePort (30080): each host gets a virtual server on its own uplink
#     address (a device podnet does not own: the file's node address and nodePortRange
#     make it podnet's), diff is clean, a pod reaches the other host's NodePort; a
#     host applying the file without it deletes it;
#   - destroy --node with the file (node-0, its NodePort with it) and with --cluster alone (node-1, where
#     ownership comes from the cluster's kube-ipvs0) removes podnet's IPVS services,
#     kube-ipvs0, the nf_tables table and its routes; the host's own links, route and
#     table stay.
. /lane/lib.sh
set -eu

cluster=ipvsh
topology=/tmp/ipvs-host.yaml
nodeports=/tmp/ipvs-host-nodeport.yaml
hosts="ipvsh-h0 ipvsh-h1"
switch=ipvsh-net
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2>/dev/null || true; done
    index=0
    for host in $hosts; do
        ip netns exec "$host" /usr/bin/podnet destroy --node "node-$index" "$nodeports" >/dev/null 2>&1 || true
        index=$((index + 1))
    done
    rm -f /tmp/ipvsh-h0.links /tmp/ipvsh-h1.links
    for ns in $(ip netns list | awk '{ print $1 }' | grep -E "^ipvsh[.-]"); do ip netns del "$ns" || true; done
}
trap cleanup EXIT

cat >"$topology" <<'YAML'
name: ipvsh
clusterCIDR: 10.200.0.0/16
serviceCIDR: 10.96.0.0/12
network: { backend: host-gw }
proxy: { mode: ipvs }
nodes:
  - { name: node-0, address: 192.168.64.4, podCIDR: 10.200.0.0/24 }
  - { name: node-1, address: 192.168.64.5, podCIDR: 10.200.1.0/24, interface: uplink0 }
pods:
  - { name: a0, node: node-0, ip: 10.200.0.2, labels: { app: web } }
  - { name: c, node: node-0, ip: 10.200.0.3 }
  - { name: b, node: node-1, ip: 10.200.1.2, labels: { app: web } }
services:
  - { name: web, clusterIP: 10.96.0.2, selector: { app: web }, ports: [{ port: 8080 }] }
  - { name: empty, clusterIP: 10.96.0.3, selector: { app: none }, ports: [{ port: 80, targetPort: 8080 }] }
YAML
sed 's/- { name: web, clusterIP: 10.96.0.2, selector: { app: web }, ports: \[{ port: 8080 }\] }/- { name: web, clusterIP: 10.96.0.2, type: NodePort, selector: { app: web }, ports: [{ port: 8080, nodePort: 30080 }] }/' \
    "$topology" >"$nodeports"
grep -q 'nodePort: 30080' "$nodeports" || fail "the NodePort variant of the file was not made"

# Runs a command inside host $1.
in_host() { local host=$1; shift; ip netns exec "$host" "$@"; }
podnet_in() { local host=$1; shift; in_host "$host" /usr/bin/podnet "$@"; }
ipvs_of() { in_host "$1" /usr/sbin/ipvsadm -Ln; }
# The names of host $1's links, sorted, on one line.
links_of() { ip -n "$1" -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort | tr '\n' ' '; }
# What a host holds of its own, which podnet must leave as it is.
own_state() {
    ip -n "$1" -o link show keepme | awk '{ print $2 }'
    ip -n "$1" route show 203.0.113.0/24
    in_host "$1" /usr/sbin/nft list table inet keep
}

step "two hosts on a switch, each with a bridge, a route, an nft table and an IPVS service of its own"
ip netns add "$switch"
ip -n "$switch" link add sw type bridge
ip -n "$switch" link set sw up
index=0
for host in $hosts; do
    ip netns add "$host"
    ip -n "$switch" link add "port$index" type veth peer name uplink0 netns "$host"
    ip -n "$switch" link set "port$index" master sw up
    ip -n "$host" link set lo up
    ip -n "$host" link set uplink0 up
    ip -n "$host" addr add "192.168.64.$((4 + index))/24" dev uplink0
    ip -n "$host" link add keepme type bridge
    ip -n "$host" route add 203.0.113.0/24 via 192.168.64.1 dev uplink0
    in_host "$host" /usr/sbin/nft add table inet keep
    in_host "$host" /usr/sbin/nft add chain inet keep input '{ type filter hook input priority 10; policy accept; }'
    in_host "$host" /usr/sbin/ipvsadm -A -t "192.0.2.1$index:80" -s rr
    index=$((index + 1))
done
# h0 also plays a host whose kube-proxy (ipvs mode) uses the same service CIDR: a
# virtual server on 10.96.0.10, an address a device podnet does not own holds. Inside
# the serviceCIDR, and still not podnet's.
ip -n ipvsh-h0 link add kp-vips type dummy
ip -n ipvsh-h0 addr add 10.96.0.10/32 dev kp-vips
in_host ipvsh-h0 /usr/sbin/ipvsadm -A -t 10.96.0.10:443 -s rr
# The kernel adds links of its own to a new namespace (tunl0, with ipip loaded): the
# host's links are whatever it has before podnet runs.
for host in $hosts; do links_of "$host" >"/tmp/$host.links"; done
echo "     the hosts' own links: $(cat /tmp/ipvsh-h0.links)"
before0=$(own_state ipvsh-h0)
before1=$(own_state ipvsh-h1)

step "each host: podnet apply --node"
index=0
for host in $hosts; do
    run_or_fail "$host: podnet apply --node node-$index" podnet_in "$host" apply --node "node-$index" "$topology"
    index=$((index + 1))
done

step "what host h0 holds"
ip -n ipvsh-h0 -d link show kube-ipvs0
ip -n ipvsh-h0 -d link show kube-ipvs0 | grep -q 'dummy' || fail "h0: kube-ipvs0 is not a dummy"
ip -n ipvsh-h0 link show kube-ipvs0 | grep -q 'state DOWN' || fail "h0: kube-ipvs0 is not down"
for host in $hosts; do
    addresses=$(ip -n "$host" -4 -o addr show dev kube-ipvs0 | awk '{ print $4 }' | tr '\n' ' ')
    [ "$addresses" = "10.96.0.2/32 10.96.0.3/32 " ] || fail "$host: kube-ipvs0 holds '$addresses'"
    echo "ok   $host: kube-ipvs0 holds $addresses"
done
ipvs_of ipvsh-h0 | tee /tmp/ipvsadm.txt
grep -q 'TCP  10.96.0.2:8080 rr' /tmp/ipvsadm.txt || fail "h0: ipvsadm shows no TCP 10.96.0.2:8080 rr"
grep -q -E -- '-> 10\.200\.0\.2:8080 +Masq +1' /tmp/ipvsadm.txt || fail "h0: ipvsadm does not show a0 (Masq, weight 1)"
grep -q -E -- '-> 10\.200\.1\.2:8080 +Masq +1' /tmp/ipvsadm.txt || fail "h0: ipvsadm does not show b (Masq, weight 1)"
grep -q 'TCP  10.96.0.3:80 rr' /tmp/ipvsadm.txt || fail "h0: ipvsadm shows no service 10.96.0.3:80"
grep -q 'TCP  192.0.2.10:80 rr' /tmp/ipvsadm.txt || fail "h0: apply deleted the host's own IPVS service 192.0.2.10:80"
ipvs_of ipvsh-h1 | grep -q 'TCP  192.0.2.11:80 rr' || fail "h1: apply deleted the host's own IPVS service 192.0.2.11:80"
grep -q 'TCP  10.96.0.10:443 rr' /tmp/ipvsadm.txt || fail "h0: apply deleted kube-proxy's IPVS service 10.96.0.10:443 (inside the serviceCIDR, on a device podnet does not own)"
ipvs_of ipvsh-h1 | grep -q 'TCP  10.96.0.2:8080 rr' || fail "h1: ipvsadm shows no TCP 10.96.0.2:8080"
echo "ok   ipvsadm: web over a0 and b (Masq); the foreign services kept"
in_host ipvsh-h0 /usr/sbin/nft list table ip "podnet-$cluster" >/dev/null || fail "h0: no nft table podnet-$cluster"
ip -n ipvsh-h0 route show proto 211

step "diff --detailed-exitcode --node: nothing to do on either host"
index=0
for host in $hosts; do
    out=$(podnet_in "$host" diff --detailed-exitcode --node "node-$index" "$topology") || fail "$host: diff after apply: $out"
    echo "ok   $host: $out"
    index=$((index + 1))
done

# check --node compares the kernel with the file as node-0's apply does; its probes run
# in the pods' namespaces, which host mode names as lab mode does (all of them are on
# this machine: the hosts are emulated).
step "podnet check --node node-0 inside h0 (its own listeners, before the test starts its servers)"
out=$(podnet_in ipvsh-h0 check --node node-0 --services-only --connections 20 "$topology" 2>&1) || { echo "$out"; fail "podnet check inside h0"; }
echo "$out"
echo "$out" | grep -q "differs from the file" && fail "check --node node-0 sees a difference right after apply"
out=$(podnet_in ipvsh-h0 check --services-only --connections 1 "$topology" 2>&1) || true
echo "$out" | grep -q "was applied in host mode" || fail "check without --node does not say the cluster was applied in host mode"
echo "ok   check --node sees no difference; without --node it says to give one"

step "servers: a0 and b answer with their name on 8080"
start_name_servers "$cluster" 8080 a0 b
connect() { ip netns exec "$cluster.$1" /bin/busybox nc -w 2 "$2" "$3" </dev/null 2>&1; }
[ "$(connect c 10.200.0.2 8080)" = a0 ] || fail "c cannot reach a0 directly"
[ "$(connect c 10.200.1.2 8080)" = b ] || fail "c cannot reach b (on h1) directly"
echo "ok   both servers answer c directly"

step "c -> 10.96.0.2:8080, 10 connections: both endpoints answer"
tally=$(tally_answers "$cluster.c" 10.96.0.2 8080 10)
a0=$(answered a0 "$tally"); b=$(answered b "$tally"); other=$(answered other "$tally" a0 b)
echo "     a0: $a0, b: $b, failed: $other"
[ "$other" = 0 ] || fail "$other of 10 connections to the ClusterIP failed"
[ "$a0" -ge 1 ] && [ "$b" -ge 1 ] || fail "not both endpoints answered: a0 $a0, b $b"
echo "ok   a0 (beside c) and b (on h1) both answer through the ClusterIP"

step "web as a NodePort: a virtual server on each host's own uplink address"
index=0
for host in $hosts; do
    run_or_fail "$host: podnet apply --node node-$index (NodePort)" podnet_in "$host" apply --node "node-$index" "$nodeports"
    address=192.168.64.$((4 + index))
    ipvs_of "$host" | grep -q "TCP  $address:30080 rr" || fail "$host: no virtual server on $address:30080"
    [ "$(ipvs_of "$host" | sed -n "/TCP  $address:30080/,/^TCP/p" | grep -c -E -- '-> 10\.200\.[01]\.2:8080 +Masq')" = 2 ] ||
        fail "$host: the NodePort's virtual server does not have both endpoints"
    out=$(podnet_in "$host" diff --detailed-exitcode --node "node-$index" "$nodeports") || fail "$host: diff after the NodePort apply: $out"
    echo "ok   $host: $address:30080 over a0 and b, diff clean ($out)"
    index=$((index + 1))
done
tally=$(tally_answers "$cluster.c" 192.168.64.5 30080 10)
[ "$(answered other "$tally" a0 b)" = 0 ] || fail "c -> h1's NodePort 192.168.64.5:30080: $tally"
echo "ok   c (on h0) reaches h1's NodePort: $(echo "$tally" | tr '\n' ' ')"
run_or_fail "h1: podnet apply --node node-1 (ClusterIP again)" podnet_in ipvsh-h1 apply --node node-1 "$topology"
ipvs_of ipvsh-h1 | grep -q '192.168.64.5:30080' && fail "h1: the NodePort's virtual server survived an apply without it"
echo "ok   h1: the NodePort's virtual server deleted by an apply of the file without it"
for pid in $servers; do kill "$pid" 2>/dev/null || true; done
servers=""

step "destroy --node node-0 FILE on h0 (with its NodePort), destroy --cluster $cluster --node node-1 on h1"
run_or_fail "h0: podnet destroy --node node-0" podnet_in ipvsh-h0 destroy --node node-0 "$nodeports"
run_or_fail "h1: podnet destroy --cluster --node node-1" podnet_in ipvsh-h1 destroy --cluster "$cluster" --node node-1
for host in $hosts; do
    left=$(ipvs_of "$host" | grep -E '^(TCP|UDP)' | awk '{ print $2 }' | sort | tr '\n' ' ')
    want="192.0.2.1${host#ipvsh-h}:80 "
    [ "$host" = ipvsh-h0 ] && want="10.96.0.10:443 $want"
    [ "$left" = "$want" ] || fail "$host: IPVS holds '$left' after destroy, not '$want'"
    ip -n "$host" link show kube-ipvs0 >/dev/null 2>&1 && fail "$host: kube-ipvs0 left after destroy"
    in_host "$host" /usr/sbin/nft list table ip "podnet-$cluster" >/dev/null 2>&1 && fail "$host: nft table podnet-$cluster left after destroy"
    [ -z "$(ip -n "$host" route show proto 211)" ] || fail "$host: podnet's routes left after destroy"
    links=$(links_of "$host")
    [ "$links" = "$(cat "/tmp/$host.links")" ] || fail "$host: links after destroy: $links (before apply: $(cat "/tmp/$host.links"))"
    echo "ok   $host: only $want in IPVS; links $links"
done
[ "$(own_state ipvsh-h0)" = "$before0" ] || fail "h0: its own bridge, route or nft table changed"
[ "$(own_state ipvsh-h1)" = "$before1" ] || fail "h1: its own bridge, route or nft table changed"
echo "ok   the hosts' own bridge, route and nft table as before"
left=$(ip netns list | awk '{ print $1 }' | grep "^$cluster\." || true)
[ -z "$left" ] || fail "pod namespaces left after destroy: $left"
echo "ok   no pod namespace left"
