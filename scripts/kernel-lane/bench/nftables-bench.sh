# `podnet-bench nftables` on Debian's kernel: the nftables proxy table of 1,000
# services × 10 endpoints, cold and one service changed (issue 6's benchmark), once
# per slow step (PNBENCH_QUICK). Not a test: run-all.sh does not run it. Figures are
# under emulation (TCG), so only the ratios mean anything; compare them with the
# same program's on the host.
#   PODNET_BENCH_BIN=.build/release/podnet-bench KERNEL_LANE_TEST_TIMEOUT=3000 \
#     KERNEL_LANE_TIMEOUT=3300 scripts/kernel-lane/run.sh nftables-bench
. /lane/lib.sh
set -eu
[ -x /usr/bin/podnet-bench ] || fail "no podnet-bench in the initramfs: set PODNET_BENCH_BIN"
step "podnet-bench nftables ${PNBENCH_SERVICES:-1000} ${PNBENCH_ENDPOINTS:-10} (quick)"
PNBENCH_QUICK=1 /usr/bin/podnet-bench nftables ${PNBENCH_SERVICES:-1000} ${PNBENCH_ENDPOINTS:-10} || fail "podnet-bench failed"
