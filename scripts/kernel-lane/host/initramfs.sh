# shellcheck shell=bash
# The guest's whole root file system, as one initramfs. Sourced by run.sh; needs
# LANE_DIR, LANE_REPO, LANE_KROOT, LANE_KVER and PODNET_BIN (PODNET_BENCH_BIN optional).
#
# The stage is not usr-merged on purpose: busybox and its applets live in /bin, the
# real tools in /usr/sbin and /usr/bin, and the guest's PATH puts /usr first, so a
# program that execs `ping` or `ip` by name (ip netns exec, podnet) gets the real one.

# Copies a file to the same path under the stage (or to $2), symlinks resolved.
lane_stage_file() {
    local src=$1 dest=${2:-$1}
    mkdir -p "$LANE_STAGE$(dirname "$dest")"
    cp -L "$src" "$LANE_STAGE$dest"
}

# Copies an ELF program or library and every shared library it needs (ldd already
# lists the whole closure), including the dynamic loader, each at its host path.
lane_stage_elf() {
    local src=$1 dest=${2:-$1} lib
    lane_stage_file "$src" "$dest"
    while read -r lib; do
        [ -e "$LANE_STAGE$lib" ] || lane_stage_file "$lib"
    done < <(ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

lane_stage_busybox() {
    local applet
    lane_stage_file /bin/busybox /bin/busybox
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$LANE_STAGE/bin/$applet"
    done
}

lane_stage_tools() {
    local tool ext
    for tool in /usr/sbin/ip /usr/sbin/bridge /usr/sbin/nft /usr/bin/ping /usr/sbin/ipvsadm /usr/bin/strace; do
        lane_stage_elf "$(readlink -f "$tool")" "$tool"
    done
    # iptables-nft: one multi-call program that acts by the name it is called by, and
    # loads its match and target extensions (libxt_*.so) with dlopen.
    lane_stage_elf /usr/sbin/xtables-nft-multi
    for tool in iptables iptables-save iptables-restore iptables-nft iptables-nft-save iptables-nft-restore; do
        ln -sf xtables-nft-multi "$LANE_STAGE/usr/sbin/$tool"
    done
    for ext in /usr/lib/x86_64-linux-gnu/xtables/*.so; do
        lane_stage_elf "$ext"
    done
    local f
    for f in /etc/protocols /etc/services /etc/ethertypes; do
        [ -e "$f" ] && lane_stage_file "$f"
    done
    [ -d /etc/iproute2 ] && mkdir -p "$LANE_STAGE/etc" && cp -rL /etc/iproute2 "$LANE_STAGE/etc/"
    return 0
}

lane_stage_podnet() {
    lane_stage_elf "$PODNET_BIN" /usr/bin/podnet
    if [ -n "${PODNET_BENCH_BIN:-}" ]; then lane_stage_elf "$PODNET_BENCH_BIN" /usr/bin/podnet-bench; fi
    # A fifth less to unpack at every boot: the copies lose their debug information
    # (the libraries their local symbols too; podnet keeps its, for crash backtraces).
    if command -v strip >/dev/null; then
        find "$LANE_STAGE" -type f -name '*.so*' -exec strip --strip-unneeded {} +
        strip --strip-debug "$LANE_STAGE"/usr/bin/podnet*
    fi
    cp -r "$LANE_REPO/topologies" "$LANE_STAGE/topologies"
}

# Copies the modules in load order, decompressed (busybox insmod may not read .xz or
# .zst), and writes the guest's load list.
lane_stage_modules() {
    local order=$1 rel args src dest
    local moddir="$LANE_KROOT/lib/modules/$LANE_KVER"
    mkdir -p "$LANE_STAGE/lane"
    : >"$LANE_STAGE/lane/modules.list"
    while read -r rel args; do
        src="$moddir/$rel"
        dest="/lib/modules/$LANE_KVER/${rel%.ko*}.ko"
        mkdir -p "$LANE_STAGE$(dirname "$dest")"
        case $rel in
            *.ko.xz) xz -dc "$src" >"$LANE_STAGE$dest" ;;
            *.ko.zst) zstd -qdc "$src" >"$LANE_STAGE$dest" ;;
            *.ko.gz) gzip -dc "$src" >"$LANE_STAGE$dest" ;;
            *) cp "$src" "$LANE_STAGE$dest" ;;
        esac
        echo "$dest${args:+ $args}" >>"$LANE_STAGE/lane/modules.list"
    done <"$order"
}

lane_stage_guest() {
    install -m 0755 "$LANE_DIR/guest/init" "$LANE_STAGE/init"
    install -m 0644 "$LANE_DIR/guest/lib.sh" "$LANE_STAGE/lane/lib.sh"
    mkdir -p "$LANE_STAGE/lane/tests"
    cp "$LANE_DIR"/tests/*.sh "$LANE_STAGE/lane/tests/"
    # Benches run by name from the same place: a bench named as a test would replace it.
    local bench
    for bench in "$LANE_DIR"/bench/*.sh; do
        if [ -e "$LANE_STAGE/lane/tests/$(basename "$bench")" ]; then
            echo "kernel-lane: bench/$(basename "$bench") has the name of a test; rename it" >&2
            return 1
        fi
        cp "$bench" "$LANE_STAGE/lane/tests/"
    done
    local d
    for d in proc sys dev run tmp root etc var; do mkdir -p "$LANE_STAGE/$d"; done
    ln -sfn ../run "$LANE_STAGE/var/run"
    echo "root:x:0:0:root:/root:/bin/sh" >"$LANE_STAGE/etc/passwd"
    echo "root:x:0:" >"$LANE_STAGE/etc/group"
    printf '127.0.0.1 localhost\n' >"$LANE_STAGE/etc/hosts"
    # The loader finds libraries through a cache built for the stage, not the host's.
    printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /opt/swift/usr/lib/swift/linux \
        >"$LANE_STAGE/etc/ld.so.conf"
    ldconfig -r "$LANE_STAGE"
}

# Builds the initramfs at $1 (gzip-compressed newc cpio) from the module order at $2.
lane_build_initramfs() {
    local out=$1 order=$2
    LANE_STAGE="$LANE_CACHE/stage"
    rm -rf "$LANE_STAGE"
    mkdir -p "$LANE_STAGE"
    lane_stage_busybox
    lane_stage_tools
    lane_stage_podnet
    lane_stage_modules "$order"
    lane_stage_guest
    (cd "$LANE_STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) |
        gzip -1 >"$out.tmp"
    mv "$out.tmp" "$out"
}

# A digest of everything the initramfs is made of, so that an unchanged one is reused:
# the kernel and module order, podnet, the lane's own files, the topologies, and the
# versions of the host packages whose programs are copied in.
lane_initramfs_key() {
    local order=$1
    {
        echo "$LANE_KPKG"
        cat "$order"
        sha256sum "$PODNET_BIN" | cut -d' ' -f1
        if [ -n "${PODNET_BENCH_BIN:-}" ]; then sha256sum "$PODNET_BENCH_BIN" | cut -d' ' -f1; fi
        (cd "$LANE_REPO" && find scripts/kernel-lane topologies -type f ! -name '*.md' | LC_ALL=C sort | xargs sha256sum)
        dpkg-query -W busybox-static iproute2 nftables iptables iputils-ping ipvsadm strace libc6 2>/dev/null
    } | sha256sum | cut -d' ' -f1
}
