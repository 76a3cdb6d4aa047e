# shellcheck shell=bash
# Host packages the lane needs, installed only when missing. Sourced by run.sh.
#
# qemu boots the guest; busybox-static is the guest's userland; kmod gives depmod and
# modprobe --show-depends for the unpacked kernel; cpio packs the initramfs; the rest
# are the real tools copied into the guest (busybox's own ip/ping lack what podnet's
# tests need: netns, vxlan/ipip details, ping -M; ipvsadm cross-checks podnet's IPVS
# and strace captures the bytes ipvsadm sends).

lane_host_packages=(qemu-system-x86 busybox-static kmod cpio gzip iproute2 nftables iptables iputils-ping ipvsadm strace)

lane_install_host_packages() {
    local missing=() p
    for p in "${lane_host_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    if ((EUID != 0)); then
        echo "kernel-lane: missing host packages: ${missing[*]}; run once as root to install them" >&2
        return 1
    fi
    echo "kernel-lane: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # No recommends: qemu-system-x86 would otherwise pull in a GUI and a media stack.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
