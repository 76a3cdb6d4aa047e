#!/usr/bin/env bash
# podnet's main job on a fresh machine, setup included: `sudo scripts/demo.sh`.
# Builds podnet and validates the default lab cluster, printing the resolved
# topology: every default and allocated address filled in.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "== building podnet (release)" >&2
swift build -c release --product podnet 2>&1 | grep -E "error|Build complete" || true
podnet=.build/release/podnet
echo "== podnet validate topologies/*.yaml" >&2
"$podnet" validate topologies/*.yaml
echo "== podnet validate --output json topologies/lab.yaml" >&2
"$podnet" validate --output json topologies/lab.yaml
