#!/usr/bin/env bash
# Installs what podnet needs to build, test and run on a fresh Debian machine
# with the Swift toolchain: system libraries, iproute2 and the netfilter tools,
# and the Python modules of the schema check. Idempotent; skips apt when all is there.
set -euo pipefail

packages=(libyaml-dev libmnl-dev pkg-config iproute2 iptables nftables iputils-ping netcat-openbsd python3 graphviz)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "podnet: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
    echo "podnet: installing the Python modules jsonschema and PyYAML" >&2
    python3 -m pip install --quiet jsonschema pyyaml
fi
