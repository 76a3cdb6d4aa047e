#!/usr/bin/env bash
# The full-kernel test lane: `scripts/kernel-lane/run.sh TEST...` boots Debian's own
# kernel under qemu (software emulation) and runs the named guest tests
# (scripts/kernel-lane/tests/TEST.sh; `smoke` and `tests/smoke.sh` both name one) in
# one boot, one after the other. Exit status 0 only when every one passed.
#
# This machine's kernel lacks ipip, dummy and IPVS; Debian's has them. See README.md.
#
# Environment:
#   PODNET_BIN=path           use this podnet instead of building one (release)
#   PODNET_BENCH_BIN=path     also put this podnet-bench in the guest, for bench/*.sh
#   KERNEL_LANE_TIMEOUT=600   seconds the whole boot may take before it counts as hung
#   KERNEL_LANE_TEST_TIMEOUT=240  seconds one guest test may take
#   KERNEL_LANE_VERBOSE=1     show the kernel's boot messages
set -euo pipefail

LANE_DIR=$(cd "$(dirname "$0")" && pwd)
LANE_REPO=$(cd "$LANE_DIR/../.." && pwd)
LANE_CACHE="$LANE_REPO/.cache/kernel-lane"
# shellcheck source=host/deps.sh
. "$LANE_DIR/host/deps.sh"
# shellcheck source=host/kernel.sh
. "$LANE_DIR/host/kernel.sh"
# shellcheck source=host/initramfs.sh
. "$LANE_DIR/host/initramfs.sh"

if (($# == 0)); then
    echo "usage: $0 TEST... (tests: $(cd "$LANE_DIR/tests" && ls *.sh | sed 's/\.sh$//' | tr '\n' ' '))" >&2
    exit 2
fi
tests=()
for arg in "$@"; do
    name=$(basename "$arg" .sh)
    # bench/*.sh are run only when named: they are measurements, not tests.
    [ -f "$LANE_DIR/tests/$name.sh" ] || [ -f "$LANE_DIR/bench/$name.sh" ] ||
        { echo "kernel-lane: no test $LANE_DIR/tests/$name.sh or $LANE_DIR/bench/$name.sh" >&2; exit 2; }
    tests+=("$name")
done

now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
lane_start=$(now)
mkdir -p "$LANE_CACHE"
# One lane at a time per checkout: they share the stage, the initramfs and the log.
exec 9>"$LANE_CACHE/lock"
flock -n 9 || { echo "kernel-lane: another lane is running in this checkout; waiting" >&2; flock 9; }

lane_install_host_packages

lane_prepare_kernel
echo "kernel-lane: kernel $LANE_KVER ($LANE_KPKG)" >&2

if [ -z "${PODNET_BIN:-}" ]; then
    echo "kernel-lane: building podnet (release)" >&2
    if ! (cd "$LANE_REPO" && swift build -c release --product podnet) >"$LANE_CACHE/build.log" 2>&1; then
        grep -E "error:" "$LANE_CACHE/build.log" >&2 || tail -n 20 "$LANE_CACHE/build.log" >&2
        echo "kernel-lane: swift build failed (whole output in $LANE_CACHE/build.log)" >&2
        exit 1
    fi
    PODNET_BIN="$(cd "$LANE_REPO" && swift build -c release --show-bin-path)/podnet"
fi
[ -x "$PODNET_BIN" ] || { echo "kernel-lane: no podnet at $PODNET_BIN" >&2; exit 1; }
PODNET_BIN=$(realpath "$PODNET_BIN")
if [ -n "${PODNET_BENCH_BIN:-}" ]; then
    [ -x "$PODNET_BENCH_BIN" ] || { echo "kernel-lane: no podnet-bench at $PODNET_BENCH_BIN" >&2; exit 1; }
    PODNET_BENCH_BIN=$(realpath "$PODNET_BENCH_BIN")
fi

order="$LANE_CACHE/modules.order"
lane_module_order "$LANE_DIR/host/modules.txt" >"$order"
initramfs="$LANE_CACHE/initramfs.cpio.gz"
build_start=$(now)
key=$(lane_initramfs_key "$order")
if [ -f "$initramfs" ] && [ "$(cat "$initramfs.key" 2>/dev/null)" = "$key" ]; then
    echo "kernel-lane: initramfs unchanged, reused" >&2
else
    lane_build_initramfs "$initramfs" "$order"
    echo "$key" >"$initramfs.key"
    echo "kernel-lane: initramfs $(du -h "$initramfs" | cut -f1) with $(wc -l <"$order") modules, built in $(seconds_since "$build_start")s" >&2
fi

log="$LANE_CACHE/console.log"
test_list=$(IFS=,; echo "${tests[*]}")
append="console=ttyS0 panic=-1 podnet.tests=$test_list podnet.timeout=${KERNEL_LANE_TEST_TIMEOUT:-240}"
[ "${KERNEL_LANE_VERBOSE:-0}" = 1 ] || append+=" quiet"
# panic=-1 with -no-reboot: if /init dies, qemu exits instead of hanging. TCG, not
# KVM: KVM does not work here. -cpu max gives SSE4.2 (crc32c-intel) and RDRAND.
qemu=(qemu-system-x86_64 -accel "${KERNEL_LANE_ACCEL:-tcg}" -cpu max -smp 2 -m 1024
    -nodefaults -display none -no-reboot -serial stdio
    -kernel "$LANE_VMLINUZ" -initrd "$initramfs" -append "$append")
echo "kernel-lane: booting for ${tests[*]}" >&2
boot_start=$(now)
set +e
timeout -k 10 "${KERNEL_LANE_TIMEOUT:-600}" "${qemu[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e
boot_seconds=$(seconds_since "$boot_start")

echo
echo "== kernel lane: $LANE_KVER, boot to poweroff ${boot_seconds}s, whole lane $(seconds_since "$lane_start")s"
[ "$qemu_status" = 124 ] && echo "kernel-lane: the guest did not power off within ${KERNEL_LANE_TIMEOUT:-600}s: killed"
passed=0
failed=0
for name in "${tests[@]}"; do
    line=$(grep -E "^PODNET-LANE: (PASS|FAIL) $name( |\$)" "$log" | tail -n 1 || true)
    case $line in
        "PODNET-LANE: PASS $name"*) echo "PASS $name"; passed=$((passed + 1)) ;;
        "PODNET-LANE: FAIL $name"*) echo "FAIL ${line#PODNET-LANE: FAIL }"; failed=$((failed + 1)) ;;
        *) echo "FAIL $name (no result: the guest stopped before reporting; qemu exit status $qemu_status; see $log)"
           failed=$((failed + 1)) ;;
    esac
done
echo "kernel-lane: $passed passed, $failed failed"
((failed == 0))
