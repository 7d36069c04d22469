#!/bin/bash
# criu-vm.sh: run the checkpoint/restore tests where CRIU can work.
#
# Debian 12's CRIU 3.17 cannot run on this host's kernel (6.18: it does not know the
# vDSO layout), but it works on the kernel of ../shared/tools/cgv2-vm (Debian's 6.1)
# once two things that VM lacks are provided:
#   - kernel modules CRIU's start-up checks need (nf_tables, conntrack netlink, the
#     socket diag modules, tun, veth): the VM loads only virtio, 9p and overlay;
#   - a root that is the root of its mount namespace: the VM's init chroots into its
#     overlay instead of moving it onto "/", and CRIU refuses to dump a task whose root
#     is not its mount namespace's root. `run` moves the overlay onto "/" in a mount
#     namespace of its own first, as switch_root does on a normal boot.
#
#   criu-vm.sh prepare      on the host: fetch the VM kernel's modules into the cache
#   criu-vm.sh run CMD...   in the VM: load them, re-root, run CMD
set -euo pipefail

CACHE=${STAPLE_CRIU_VM_CACHE:-/var/cache/staple-tests/criu-vm}
MODULES="crc32c_generic nfnetlink libcrc32c nf_tables unix_diag netlink_diag inet_diag tcp_diag udp_diag
af_packet_diag tun veth nf_conntrack_netlink"

die() {
	echo "criu-vm: $*" >&2
	exit 1
}

# The kernel package cgv2-vm boots: the one linux-image-amd64 depends on.
vm_kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}

# modules_in DIR NAME...: the .ko paths (relative to DIR) of NAMEs with their
# dependencies first, from DIR/modules.dep.
modules_in() {
	local dir=$1 m
	shift
	resolve() {
		local line d
		line=$(grep -E "(^|/)$1\.ko(\.xz)?:" "$dir/modules.dep") || die "module $1 not in $dir"
		for d in ${line#*:}; do
			d=${d##*/}
			resolve "${d%%.ko*}"
		done
		echo "${line%%:*}"
	}
	for m in "$@"; do resolve "$m"; done | awk '!seen[$0]++'
}

prepare() {
	local pkg tmp kdir kver f
	pkg=$(vm_kernel_package)
	[[ -n $pkg ]] || { apt-get update -qq >&2 || true; pkg=$(vm_kernel_package); }
	[[ -n $pkg ]] || die "cannot find Debian's linux-image-amd64 package"
	kver=${pkg#linux-image-}
	[[ -s $CACHE/$kver/order ]] && return 0
	tmp=$(mktemp -d /tmp/staple-criu-vm.XXXXXX)
	trap 'rm -rf "$tmp"' RETURN
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) || die "download $pkg failed"
	mkdir "$tmp/x"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/x" --wildcards '*/modules/*'
	kdir=$(find "$tmp/x" -type d -path "*/modules/$kver" | head -1)
	[[ -n $kdir ]] || die "no modules for $kver in $pkg"
	busybox depmod -b "${kdir%/lib/modules/*}" "$kver" # the .deb ships no modules.dep
	rm -rf "$CACHE/$kver.tmp"
	mkdir -p "$CACHE/$kver.tmp"
	# shellcheck disable=SC2086
	modules_in "$kdir" $MODULES | while read -r f; do
		case $f in
		*.xz) xz -dc "$kdir/$f" >"$CACHE/$kver.tmp/$(basename "${f%.xz}")" ;;
		*) cp "$kdir/$f" "$CACHE/$kver.tmp/" ;;
		esac
		basename "${f%.xz}" >>"$CACHE/$kver.tmp/order"
	done
	rm -rf "${CACHE:?}/$kver"
	mv "$CACHE/$kver.tmp" "$CACHE/$kver"
}

run() {
	local dir=$CACHE/$(uname -r) m
	[[ -s $dir/order ]] || die "no modules prepared for kernel $(uname -r) in $CACHE"
	while read -r m; do
		grep -q "^${m%.ko} " /proc/modules || busybox insmod "$dir/$m" || die "insmod $m"
	done <"$dir/order"
	# In PID 1's mount namespace and root (the initramfs), a private copy of it in which
	# the overlay is moved onto "/", then chroot into it and run the command there.
	exec nsenter -t 1 -m -r /bin/busybox unshare -m /bin/busybox sh -c '
		/bin/busybox mount --make-rprivate / && cd /newroot && /bin/busybox mount --move . / &&
		exec /bin/busybox chroot . /bin/sh -c "mount --make-rshared / && cd \"\$0\" && exec \"\$@\"" "$0" "$@"
	' "$PWD" "$@"
}

case ${1:-} in
prepare) prepare ;;
run)
	shift
	run "$@"
	;;
*) die "usage: criu-vm.sh prepare | run CMD..." ;;
esac
