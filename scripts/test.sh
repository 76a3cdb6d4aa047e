#!/usr/bin/env bash
# The whole test suite, setup included: `sudo scripts/test.sh`.
# Kernel tests need root; without it they are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "== swift test" >&2
swift build --build-tests 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | grep -v "^Compiling" || true
swift test --skip-build 2>&1
echo "== schema check" >&2
python3 Tests/schema/check_schema.py
# The full-kernel lane: Debian's own kernel under qemu, for what this kernel lacks
# (ipip, dummy, IPVS); it reuses the debug build made above.
echo "== full-kernel lane (scripts/kernel-lane)" >&2
PODNET_BIN=.build/debug/podnet scripts/kernel-lane/run-all.sh
