#!/usr/bin/env python3
"""Generates an N-node x M-pod topology for scale tests and benchmarks.

    bench/generate-topology.py --nodes 10 --pods-per-node 100 --services 50 > /tmp/big.yaml

Addresses are left to podnet's allocator; every tenth pod label is shared so that
services select pods across nodes.
"""
import argparse

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--name", default="bench")
parser.add_argument("--nodes", type=int, default=10)
parser.add_argument("--pods-per-node", type=int, default=100)
parser.add_argument("--services", type=int, default=10)
parser.add_argument("--backend", default="host-gw", choices=["host-gw", "ipip", "vxlan"])
parser.add_argument("--proxy", default="nftables", choices=["nftables", "iptables", "ipvs"])
args = parser.parse_args()

out = [
    f"name: {args.name}",
    "clusterCIDR: 10.0.0.0/8",
    "serviceCIDR: 172.16.0.0/12",
    f"network: {{ backend: {args.backend} }}",
    f"proxy: {{ mode: {args.proxy} }}",
    "underlay: { cidr: 192.168.0.0/16 }",
    "nodes:",
]
out += [f"  - {{ name: node-{n} }}" for n in range(args.nodes)]
out.append("pods:")
for n in range(args.nodes):
    for p in range(args.pods_per_node):
        index = n * args.pods_per_node + p
        out.append(f"  - {{ name: pod-{n}-{p}, node: node-{n}, labels: {{ app: app-{index % max(1, args.services)} }} }}")
if args.services:
    out.append("services:")
    for s in range(args.services):
        out.append(f"  - {{ name: svc-{s}, selector: {{ app: app-{s} }}, ports: [{{ port: 80, targetPort: 8080 }}] }}")
print("\n".join(out))
