# IPVS-mode services over IPv6 (issue 17), which this machine's kernel cannot run
# (no IPVS, no dummy): a dual-stack three-node lab over static VXLAN in proxy.mode
# ipvs, service web (10.96.0.1 and fd00:96::1, port 8080) over a0 (node-0) and b
# (node-1). Each node has an IPv6 virtual server [fd00:96::1]:8080 over the
# endpoints' IPv6 addresses, fd00:96::1/128 on kube-ipvs0, and an `ip6 podnet-CLUSTER`
# table beside the `ip` one. `podnet check` makes 200 connections from every pod
# through each ClusterIP; seed 003 §5's three cases, in both families:
#   1. c (node-2, no endpoint there) reaches a0 and b;
#   2. a1 (node-0, beside a0) reaches a0 and b;
#   3. a0 (an endpoint) reaches b and itself (hairpin).
# Each gets every connection answered, each endpoint 35-65% of them. Controls on
# the ip6 table: without it a0 cannot reach itself over IPv6 (the hairpin
# masquerade) while IPv4 still can; service nobody (no endpoints, fd00:96::2:80)
# refuses on the first SYN by the table's TCP reset, and only on the SYN's
# retransmit without it. A second diff has nothing to do, destroy leaves nothing.
. /lane/lib.sh
set -eu

cluster=ipvs6
topology=/tmp/$cluster.yaml
cat >"$topology" <<YAML
name: $cluster
clusterCIDR: [10.200.0.0/16, fd00:200::/48]
serviceCIDR: [10.96.0.0/12, fd00:96::/112]
underlay:
  cidr: [192.168.64.0/24, fd00:64::/64]
network:
  backend: vxlan
  vxlan: { vni: 1, discovery: static }
proxy:
  mode: ipvs
nodes:
  - { name: node-0 }
  - { name: node-1 }
  - { name: node-2 }
pods:
  - { name: a0, node: node-0, labels: { app: web } }
  - { name: a1, node: node-0 }
  - { name: b, node: node-1, labels: { app: web } }
  - { name: c, node: node-2 }
services:
  - name: web
    selector: { app: web }
    ports: [{ port: 8080 }]
  - { name: nobody, endpoints: [], ports: [{ port: 80 }] }
YAML
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "podnet apply (dual stack, proxy mode ipvs)"
run_or_fail "podnet apply" podnet apply "$topology"
for node in node-0 node-1 node-2; do
    echo "     $cluster.$node: $(ip netns exec "$cluster.$node" /usr/sbin/ipvsadm -Ln | grep -E '^TCP|->' | grep -v Remote | tr -s ' ' | tr '\n' ';')"
done
servers=$(ip netns exec "$cluster.node-2" /usr/sbin/ipvsadm -Ln -t '[fd00:96::1]:8080') ||
    fail "node-2 has no IPv6 virtual server [fd00:96::1]:8080"
for real in '\[fd00:200::2\]:8080' '\[fd00:200:0:1::2\]:8080'; do
    echo "$servers" | grep -q "$real" || fail "[fd00:96::1]:8080 has no real server $real: $servers"
done
ip -n "$cluster.node-2" -6 addr show dev kube-ipvs0 | grep -q 'fd00:96::1/128' || fail "kube-ipvs0 has no fd00:96::1/128"
ip netns exec "$cluster.node-0" /usr/sbin/nft list table ip6 "podnet-$cluster" >/dev/null ||
    fail "node-0 has no ip6 podnet-$cluster table"
echo "ok   [fd00:96::1]:8080 over [fd00:200::2]:8080 and [fd00:200:0:1::2]:8080, fd00:96::1/128 on kube-ipvs0, table ip6 podnet-$cluster"

step "podnet diff: nothing to do after apply"
run_or_fail "podnet diff" podnet diff --detailed-exitcode "$topology"

step "podnet check: 200 connections from every pod through each ClusterIP"
out=$(podnet check --services-only --connections 200 "$topology") || { echo "$out"; fail "podnet check failed"; }
echo "$out"

# The share (percent) endpoint $3 answered of pod $2's connections to $1, from check's table.
share() {
    echo "$out" | awk -v to="$1" -v from="$2" '$1 == "web:8080" && $2 == to && $3 == from' |
        sed -n "s/.*[ ,]$3 \([0-9]*\)%.*/\1/p"
}
for destination in '10.96.0.1:8080' '[fd00:96::1]:8080'; do
    for case in "c:case 1: c on node-2, which has no endpoint" "a1:case 2: a1 on node-0, beside endpoint a0" \
                "a0:case 3: a0, itself an endpoint (hairpin)"; do
        from=${case%%:*}
        a0=$(share "$destination" "$from" a0); b=$(share "$destination" "$from" b)
        [ -n "$a0" ] && [ -n "$b" ] || fail "$destination from $from: no shares in check's table"
        [ "$a0" -ge 35 ] && [ "$a0" -le 65 ] && [ "$b" -ge 35 ] && [ "$b" -le 65 ] || fail "$destination from $from: a0 $a0%, b $b%"
        echo "ok   $destination ${case#*:}: a0 $a0%, b $b%"
    done
done

step "control: without the ip6 table's hairpin masquerade, a0 cannot reach itself over IPv6"
ip netns exec "$cluster.node-0" /usr/sbin/nft delete table ip6 "podnet-$cluster"
if broken=$(podnet check --services-only --connections 20 "$topology"); then
    echo "$broken"; fail "check passed without the ip6 table: it is not what makes IPv6 hairpin work"
fi
row() { echo "$broken" | awk -v to="$1" -v from="$2" '$1 == "web:8080" && $2 == to && $3 == from'; }
row '[fd00:96::1]:8080' a0 | grep -q ' ok$' && fail "a0 reached [fd00:96::1]:8080 fully without the ip6 table: $(row '[fd00:96::1]:8080' a0)"
row '10.96.0.1:8080' a0 | grep -q ' ok$' || fail "IPv4 hairpin broke with the ip6 table: $(row '10.96.0.1:8080' a0)"
echo "ok   without it: $(row '[fd00:96::1]:8080' a0 | tr -s ' ')"
echo "ok   IPv4 untouched: $(row '10.96.0.1:8080' a0 | tr -s ' ')"
run_or_fail "podnet apply (repair)" podnet apply "$topology"
run_or_fail "podnet diff (repaired)" podnet diff --detailed-exitcode "$topology"

# A TCP counter of namespace $1 (/proc/net/snmp's Tcp line, both families).
retransmits() {
    ip netns exec "$cluster.$1" cat /proc/net/snmp |
        awk '$1 == "Tcp:" { if (!seen) { for (i = 2; i <= NF; i++) if ($i == "RetransSegs") col = i; seen = 1; next } print $col }'
}
# c connects to nobody's IPv6 ClusterIP; fails unless refused. True when refused on
# the first SYN (no retransmit).
refuse6() {
    local before after out
    before=$(retransmits c)
    if out=$(ip netns exec "$cluster.c" /bin/busybox nc -w 5 fd00:96::2 80 </dev/null 2>&1); then fail "[fd00:96::2]:80 answered: $out"; fi
    after=$(retransmits c)
    echo "$out" | grep -q -i 'refused' || fail "[fd00:96::2]:80 did not refuse the connection: $out"
    echo "     $out: $((after - before)) SYN retransmitted"
    [ "$after" = "$before" ]
}
step "[fd00:96::2]:80 (no endpoints) refuses on the first SYN: the ip6 table's TCP reset"
refuse6 || fail "the SYN to [fd00:96::2]:80 was retransmitted before the refusal"
echo "ok   refused on the first SYN"
step "control: IPVS alone (ip6 filter-input flushed) refuses only on the SYN's retransmit"
ip netns exec "$cluster.node-2" /usr/sbin/nft flush chain ip6 "podnet-$cluster" filter-input
if refuse6; then fail "refused on the first SYN without the ip6 reject rule: the rule is not needed"; fi
echo "ok   refused late without the rule"
run_or_fail "podnet apply (repair)" podnet apply "$topology"
refuse6 || fail "the ip6 reject rule was not repaired by apply"

step "podnet diff: still nothing to do"
run_or_fail "podnet diff" podnet diff --detailed-exitcode "$topology"

step "podnet destroy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "podnet destroy"
ip netns exec "$cluster.node-0" true 2>/dev/null && fail "node-0's namespace is still there"
echo "ok   nothing left"
