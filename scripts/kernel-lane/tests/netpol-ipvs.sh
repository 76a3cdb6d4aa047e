# NetworkPolicy in proxy.mode ipvs (issue 15), where only this lane has IPVS.
# IPVS forwards a pod's ClusterIP connection from the node's own output path (the
# real server chosen in LOCAL_IN, the packet sent on through LOCAL_OUT), not through
# the forward hook, so the policy table's output chain must judge it. On
# topologies/netpol-lab.yaml in ipvs mode, with a policy letting only namespace y
# reach xa (the service's endpoint) on 80, and pods c of y isolated for egress:
#   - `podnet check` measures every pod pair on TCP/UDP 80 and 81 equal to the
#     policy model, and the service: from x dropped, from ya and yb answered by
#     xa, from yc (egress-isolated) dropped;
#   - diff is clean after apply, and destroy leaves nothing.
. /lane/lib.sh
set -eu

cluster=pnt5pol
topology=/tmp/$cluster.yaml
cleanup() { podnet destroy "$topology" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "netpol-lab in ipvs mode, with policies"
sed -e "s/^name: .*/name: $cluster/" /topologies/netpol-lab.yaml >"$topology"
cat >>"$topology" <<'YAML'
proxy: { mode: ipvs }
networkPolicies:
  - name: web-from-y
    namespace: x
    podSelector: { matchLabels: { pod: a } }
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }], ports: [{ port: 80 }] }]
  - { name: deny-egress, namespace: y, podSelector: { matchLabels: { pod: c } }, policyTypes: [Egress] }
YAML
run_or_fail "podnet apply" podnet apply "$topology"
run_or_fail "podnet diff (clean after apply)" podnet diff --detailed-exitcode "$topology"
if ! out=$(podnet check --connections 10 "$topology" 2>&1); then
    echo "$out"
    fail "podnet check: $(echo "$out" | grep -A1 '^FAILED' | tail -n 1 | sed 's/^ *//')"
fi
echo "$out" | tail -n 1
echo "$out" | grep -q 'policy probes' || fail "no policy probes were made"
echo "$out" | grep -q 'dropped (NetworkPolicy)' || fail "no service connection was expected dropped by policy"
run_or_fail "podnet destroy" podnet destroy "$topology"
expect_no_namespaces "destroy"
