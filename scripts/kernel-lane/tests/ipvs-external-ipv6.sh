# External IPs of both families in proxy mode ipvs, which this machine's kernel cannot
# run: a dual-stack lab whose service web takes 203.0.113.10 and 2001:db8::10, each
# a virtual server of its family on every node and an address on kube-ipvs0; the lab
# client routes each via node-1 (the first node with an endpoint). `podnet check`
# connects to both from the client and every pod, Cluster then Local; diff has
# nothing to do after each apply, destroy leaves no namespace.
. /lane/lib.sh
set -eu

topology=/tmp/ipvs-ext6.yaml
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT
for policy in Cluster Local; do
    cat >"$topology" <<YAML
name: ipvsx6
clusterCIDR: [10.200.0.0/16, fd00:200::/48]
serviceCIDR: [10.96.0.0/12, fd00:96::/112]
underlay: { cidr: [192.168.64.0/24, fd00:64::/64] }
network: { backend: host-gw }
proxy: { mode: ipvs }
nodes: [{ name: node-0 }, { name: node-1 }, { name: node-2 }]
clients: [{ name: outside }]
pods:
  - { name: web-1, node: node-1, labels: { app: web } }
  - { name: web-2, node: node-2, labels: { app: web } }
services:
  - name: web
    externalIPs: [203.0.113.10, "2001:db8::10"]
    externalTrafficPolicy: $policy
    selector: { app: web }
    ports: [{ port: 80, targetPort: 8080 }]
YAML
    step "podnet apply (external IPs of both families, ipvs, $policy)"
    run_or_fail "podnet apply" podnet apply "$topology"
    ip netns exec ipvsx6.node-1 /usr/sbin/ipvsadm -Ln -t '[2001:db8::10]:80' >/dev/null ||
        fail "node-1 has no virtual server [2001:db8::10]:80"
    ip -n ipvsx6.node-1 -6 addr show dev kube-ipvs0 | grep -q '2001:db8::10/128' || fail "kube-ipvs0 has no 2001:db8::10/128"
    run_or_fail "podnet diff" podnet diff --detailed-exitcode "$topology"
    out=$(podnet check --services-only --connections 20 "$topology") || { echo "$out"; fail "podnet check failed ($policy)"; }
    echo "$out" | grep -E '2001:db8::10|203.0.113.10' | head -n 6
    echo "$out" | grep -q '\[2001:db8::10\]:80' || fail "check did not probe [2001:db8::10]:80"
    echo "$out" | tail -n 1
    run_or_fail "podnet destroy" podnet destroy "$topology"
    expect_no_namespaces "podnet destroy"
done
echo "ok   nothing left"
