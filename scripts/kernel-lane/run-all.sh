#!/usr/bin/env bash
# Every guest test of the full-kernel lane (tests/*.sh), in one boot:
# `scripts/kernel-lane/run-all.sh`. Test names given as arguments narrow it to those
# (the same as run.sh). Exit status 0 only when all passed.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if (($# == 0)); then
    set -- $(cd "$dir/tests" && ls *.sh | sed 's/\.sh$//')
fi
exec "$dir/run.sh" "$@"
