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
