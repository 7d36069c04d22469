#!/bin/bash
# tests/rootfs.sh OUTDIR: build the minimal busybox rootfs used as staple's
# built-in default image and as the integration tests' rootfs.
# Idempotent and fast: the helper is only recompiled when its source changed.
set -euo pipefail

out=${1:?usage: tests/rootfs.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
busybox=$(command -v busybox || true)
[[ -x /bin/busybox ]] && busybox=/bin/busybox
# A dynamic binary has a PT_INTERP (program interpreter); a static one does not.
if [[ -z $busybox ]] || readelf -l "$busybox" | grep -q 'program interpreter'; then
	echo "rootfs.sh: need a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi

mkdir -p "$out"
cd "$out"
mkdir -p bin etc proc sys dev tmp root home/user
chmod 1777 tmp
chmod 0700 root

if ! cmp -s "$busybox" bin/busybox; then
	install -m 0755 "$busybox" bin/busybox
fi
# Applet symlinks bin/<applet> -> busybox, made by one perl process (one ln per
# applet would cost ~0.5 s); existing entries are left alone.
bin/busybox --list | perl -ne 'chomp; symlink("busybox", "bin/$_") unless -e "bin/$_" || -l "bin/$_"' 
# Many scripts expect /usr/bin and /sbin; point them at bin.
for d in usr/bin sbin usr/sbin; do
	mkdir -p "$(dirname "$d")"
	[[ -L $d ]] || ln -s "$(realpath -m --relative-to="$(dirname "$d")" bin)" "$d"
done

write_if_changed() { # FILE CONTENT
	if [[ ! -f $1 ]] || [[ "$(cat "$1")" != "$2" ]]; then
		printf '%s\n' "$2" >"$1"
	fi
}
write_if_changed etc/passwd "root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false"
write_if_changed etc/group "root:x:0:
user:x:1000:
nogroup:x:65534:"
write_if_changed etc/hostname "staple"
write_if_changed etc/hosts "127.0.0.1 localhost"
chown 1000:1000 home/user

helper_src=$here/helper/staple-test-helper.c
helper=bin/staple-test-helper
if [[ ! -x $helper || $helper_src -nt $helper ]]; then
	gcc -static -O2 -Wall -Wextra -Wno-unused-parameter -o "$helper.tmp" "$helper_src"
	mv -f "$helper.tmp" "$helper"
fi
