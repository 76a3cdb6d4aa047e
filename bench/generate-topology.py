#!/usr/bin/env python3
"""Generates an N-node x M-pod topology for scale tests and benchmarks.

    bench/generate-topology.py --nodes 10 --pods-per-node 100 --services 50 > /tmp/big.yaml

Addresses are left to podnet's allocator; every tenth pod label is shared so that
services select pods across nodes. With --namespaces N the pods are spread over N
Kubernetes namespaces (ns-0 ...) and --policies P NetworkPolicies are written in
the shape podnet-bench netpol uses (per namespace: a default deny of ingress,
allows from the next app and from tier=web pods of one team's namespaces on 8080
and the named port http, and an egress policy for tier=db).
"""
import argparse

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--name", default="bench")
parser.add_argument("--nodes", type=int, default=10)
parser.add_argument("--pods-per-node", type=int, default=100)
parser.add_argument("--services", type=int, default=10)
parser.add_argument("--backend", default="host-gw", choices=["host-gw", "ipip", "vxlan"])
parser.add_argument("--proxy", default="nftables", choices=["nftables", "iptables", "ipvs"])
parser.add_argument("--namespaces", type=int, default=0)
parser.add_argument("--policies", type=int, default=0)
parser.add_argument("--dual-stack", action="store_true",
                    help="an IPv6 prefix beside each IPv4 one (cluster, service and underlay CIDRs)")
args = parser.parse_args()
tiers = ["web", "api", "db"]

out = [
    f"name: {args.name}",
    "clusterCIDR: [10.0.0.0/8, fd00:10::/48]" if args.dual_stack else "clusterCIDR: 10.0.0.0/8",
    "serviceCIDR: [172.16.0.0/12, fd00:172::/112]" if args.dual_stack else "serviceCIDR: 172.16.0.0/12",
    f"network: {{ backend: {args.backend} }}",
    f"proxy: {{ mode: {args.proxy} }}",
    "underlay: { cidr: [192.168.0.0/16, fd00:192::/64] }" if args.dual_stack else "underlay: { cidr: 192.168.0.0/16 }",
    "nodes:",
]
out += [f"  - {{ name: node-{n} }}" for n in range(args.nodes)]
if args.namespaces:
    out.append("namespaces:")
    out += [f"  - {{ name: ns-{k}, labels: {{ team: team-{k % 4} }} }}" for k in range(args.namespaces)]
out.append("pods:")
for n in range(args.nodes):
    for p in range(args.pods_per_node):
        index = n * args.pods_per_node + p
        if args.namespaces:
            group = index // args.namespaces
            out.append(f"  - {{ name: pod-{n}-{p}, node: node-{n}, namespace: ns-{index % args.namespaces}, "
                       f"labels: {{ app: app-{group % 10}, tier: {tiers[group % 3]} }}, ports: [{{ name: http, port: 8080 }}] }}")
        else:
            out.append(f"  - {{ name: pod-{n}-{p}, node: node-{n}, labels: {{ app: app-{index % max(1, args.services)} }} }}")
if args.services:
    out.append("services:")
    for s in range(args.services):
        out.append(f"  - {{ name: svc-{s}, selector: {{ app: app-{s} }}, ports: [{{ port: 80, targetPort: 8080 }}] }}")
if args.policies:
    out.append("networkPolicies:")
    namespaces = max(1, args.namespaces)
    for i in range(args.policies):
        ns = f"ns-{i % namespaces}" if args.namespaces else "default"
        kind = (i // namespaces) % 10
        if kind == 0:
            out.append(f"  - {{ name: deny-{i}, namespace: {ns}, podSelector: {{}}, policyTypes: [Ingress] }}")
        elif kind == 9:
            out.append(f"  - {{ name: egress-{i}, namespace: {ns}, podSelector: {{ matchLabels: {{ tier: db }} }}, policyTypes: [Egress], "
                       "egress: [{ to: [{ ipBlock: { cidr: 10.0.0.0/8, except: [10.0.0.0/16] } }, "
                       "{ namespaceSelector: {}, podSelector: { matchLabels: { app: app-0 } } }], "
                       "ports: [{ protocol: UDP, port: 53 }, { port: 5432, endPort: 5440 }] }] }")
        else:
            out.append(f"  - {{ name: allow-{i}, namespace: {ns}, podSelector: {{ matchLabels: {{ app: app-{kind} }} }}, "
                       f"ingress: [{{ from: [{{ podSelector: {{ matchLabels: {{ app: app-{(kind + 1) % 10} }} }} }}, "
                       f"{{ namespaceSelector: {{ matchLabels: {{ team: team-{kind % 4} }} }}, podSelector: {{ matchLabels: {{ tier: web }} }} }}], "
                       "ports: [{ port: 8080 }, { port: http }] }] }")
print("\n".join(out))
