# shellcheck shell=bash
# Debian's own kernel for this release, unpacked (never installed) into the cache, and
# the load order of the modules the guest needs. Sourced by run.sh; needs LANE_CACHE.
#
# After lane_prepare_kernel: LANE_KPKG (package_version), LANE_KROOT (the unpacked
# package), LANE_KVER (its uname -r), LANE_VMLINUZ.

# The kernel package linux-image-amd64 points at, e.g. linux-image-6.1.0-56-amd64.
lane_kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

lane_prepare_kernel() {
    local pkg version dir
    pkg=$(lane_kernel_package)
    if [ -z "$pkg" ] && ((EUID == 0)); then
        apt-get update -qq
        pkg=$(lane_kernel_package)
    fi
    if [ -n "$pkg" ]; then
        version=$(apt-cache show --no-all-versions "$pkg" | awk '$1 == "Version:" { print $2; exit }')
        dir="$LANE_CACHE/kernel/${pkg}_${version}"
    else
        # No package lists (offline, not root): fall back to the newest cached kernel.
        dir=$(ls -d "$LANE_CACHE"/kernel/*/ 2>/dev/null | sort -V | tail -n 1)
        dir=${dir%/}
        [ -n "$dir" ] && [ -e "$dir/.ready" ] || {
            echo "kernel-lane: cannot find Debian's kernel package (apt-cache depends linux-image-amd64 says nothing) and none is cached" >&2
            return 1
        }
        echo "kernel-lane: no package lists; using the cached $(basename "$dir")" >&2
    fi

    if [ ! -e "$dir/.ready" ]; then
        echo "kernel-lane: downloading $pkg $version" >&2
        rm -rf "$dir"
        mkdir -p "$dir"
        # apt-get download writes into the current directory; as root apt warns that
        # _apt cannot write there, which is harmless.
        (cd "$dir" && apt-get download -q "$pkg" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
        local deb
        deb=$(ls "$dir"/*.deb 2>/dev/null | head -n 1)
        [ -n "$deb" ] || { echo "kernel-lane: apt-get download $pkg failed" >&2; return 1; }
        # Unpacked, not installed: installing would pull udev and systemd upgrades.
        dpkg-deb -x "$deb" "$dir/root"
        rm -f "$deb"
        local kver
        kver=$(ls "$dir/root/lib/modules")
        # The package ships no modules.dep: its postinst would run depmod.
        depmod -b "$dir/root" "$kver"
        touch "$dir/.ready"
    fi

    LANE_KPKG=$(basename "$dir")
    LANE_KROOT="$dir/root"
    LANE_KVER=$(ls "$LANE_KROOT/lib/modules")
    LANE_VMLINUZ="$LANE_KROOT/boot/vmlinuz-$LANE_KVER"
    [ -f "$LANE_VMLINUZ" ] || { echo "kernel-lane: no vmlinuz in $dir" >&2; return 1; }
}

# Prints the modules to load, in dependency order, one per line: the path under
# lib/modules/KVER/ and any options. Each named module's dependencies come from
# modprobe --show-depends, softdeps included (libcrc32c needs crc32c); a module
# already listed is not listed again. Built-in and missing modules are reported on
# stderr. Only host/modprobe.conf is read, so the host's modprobe.d changes nothing.
lane_module_order() {
    local list=$1 name kind path args rel
    local conf="$LANE_DIR/host/modprobe.conf"
    local -A seen=()
    while read -r name; do
        name=${name%%#*}
        name=${name//[[:space:]]/}
        [ -n "$name" ] || continue
        local deps
        if ! deps=$(modprobe -C "$conf" -d "$LANE_KROOT" -S "$LANE_KVER" --show-depends "$name" 2>/dev/null); then
            echo "kernel-lane: $LANE_KVER has no module $name; not loaded" >&2
            continue
        fi
        while read -r kind path args; do
            case $kind in
                insmod)
                    rel=${path#"$LANE_KROOT/lib/modules/$LANE_KVER/"}
                    [ -n "${seen[$rel]:-}" ] && continue
                    seen[$rel]=1
                    echo "$rel${args:+ $args}"
                    ;;
                builtin) ;;
            esac
        done <<<"$deps"
    done <"$list"
}
