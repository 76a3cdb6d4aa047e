#!/usr/bin/env bash
# Every guest test of the full-kernel lane (tests/*.sh), in one boot:
# `scripts/kernel-lane/run-all.sh`. Test names given as arguments narrow it to those
# (the same as run.sh). Exit status 0 only when all passed.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if (($# == 0)); then
    # smoke first: when the lane itself is broken, that is the failure to read first.
    # shellcheck disable=SC2046 # test names are plain words
    set -- $(cd "$dir/tests" && ls *.sh | sed 's/\.sh$//' | awk '$0 == "smoke" { print; next } { rest = rest " " $0 } END { print rest }')
fi
exec "$dir/run.sh" "$@"
