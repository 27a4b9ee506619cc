#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/guest/build.sh - kernel and initramfs for the QEMU test guest
#
# Usage: tests/guest/build.sh [CACHE_DIR]
# (default: $GANGWAY_GUEST_CACHE, else tests/cache/guest in the source tree)
#
# The kernel comes from Debian's archive, the only network source we use:
# the package linux-image-amd64 depends on (apt-get download), unpacked
# with dpkg-deb. The initramfs holds busybox-static, the network modules
# of that kernel for the NIC models tests give QEMU (virtio-net-pci, e1000,
# e1000e, rtl8139: QemuGuest nic=) with their dependencies (resolved with
# modinfo, decompressed if the package ships them compressed: busybox
# insmod reads plain .ko only), /init, /lib/guest.sh and the udhcpc script.
# Results, reused while their inputs do not change:
#	CACHE_DIR/kernel	CACHE_DIR/initramfs.gz
# CACHE_DIR/kernel is the uncompressed ELF vmlinux when it has a PVH entry
# note (QEMU then jumps straight into it: under TCG this saves 3-9 s per
# boot that the kernel would spend decompressing itself), else the bzImage.
# Prints nothing on success unless something was built.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${GANGWAY_GUEST_CACHE:-$here/../cache/guest}}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
busybox=/bin/busybox
# 8139cp, not 8139too: QEMU's rtl8139 is a C+ chip, which 8139too refuses
modules_wanted="virtio_pci virtio_net e1000 e1000e 8139cp"

exec 9>"$cache/.lock"
flock 9

inputs="$here/build.sh $here/init $here/guest.sh $here/udhcpc.script $busybox"
uptodate=1
if [ -f "$cache/initramfs.gz" ] && [ -f "$cache/kernel" ]; then
	for f in $inputs; do
		[ "$f" -nt "$cache/initramfs.gz" ] && uptodate=0
	done
else
	uptodate=0
fi
[ $uptodate = 1 ] && exit 0

if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	echo "build.sh: $busybox is not static: apt-get install busybox-static" >&2
	exit 1
fi

# The kernel package: the one linux-image-amd64 depends on, else a .deb we
# already have (no apt lists yet, or no network).
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
deb=
if [ -n "$pkg" ]; then
	deb=$(ls "$cache"/"${pkg}"_*.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$deb" ]; then
		echo "build.sh: downloading $pkg from the Debian archive" >&2
		# apt drops to _apt for downloads: let it write here
		chmod 0777 "$cache"
		(cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
			(cd "$cache" && apt-get download "$pkg")
		deb=$(ls "$cache"/"${pkg}"_*.deb | tail -n 1)
	fi
else
	deb=$(ls "$cache"/linux-image-*.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$deb" ]; then
		echo "build.sh: no kernel package known: run apt-get update" >&2
		exit 1
	fi
fi

kroot="$cache/kernel.d"
rm -rf "$kroot"
mkdir -p "$kroot"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kroot" \
	--wildcards './boot/vmlinuz-*' './lib/modules/*/modules.builtin' \
	'./lib/modules/*/kernel/drivers/virtio/*' \
	'./lib/modules/*/kernel/drivers/net/*' './lib/modules/*/kernel/net/core/*'
kver=$(ls "$kroot/lib/modules" | head -n 1)
mdir="$kroot/lib/modules/$kver"

stage="$cache/initramfs.d"
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/sbin" "$stage/etc" "$stage/lib/modules" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/run" "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$here/init" "$stage/init"
cp "$here/guest.sh" "$stage/lib/guest.sh"
cp "$here/udhcpc.script" "$stage/etc/udhcpc.script"
chmod 0755 "$stage/init" "$stage/etc/udhcpc.script"

# Resolve dependencies depth first so each module follows what it needs
# (local is not POSIX, but dash and busybox sh have it).
: > "$stage/lib/modules/order"
add_module() {
	local name f d
	name=$(echo "$1" | tr - _)
	grep -q "^$name\$" "$stage/lib/modules/order.names" 2>/dev/null &&
		return 0
	f=$(find "$mdir/kernel" -name "$name.ko*" | head -n 1)
	if [ -z "$f" ]; then
		f=$(find "$mdir/kernel" -name "$(echo "$name" | tr _ -).ko*" |
		    head -n 1)
	fi
	if [ -z "$f" ]; then
		if grep -q "/$name.ko" "$mdir/modules.builtin"; then
			return 0	# built into the kernel
		fi
		echo "build.sh: module $name not found in $kver" >&2
		exit 1
	fi
	for d in $(modinfo -F depends "$f" | tr , ' '); do
		add_module "$d"
	done
	case "$f" in
	*.ko.xz)	xz -dc "$f" > "$stage/lib/modules/$name.ko" ;;
	*.ko.zst)	zstd -dc "$f" > "$stage/lib/modules/$name.ko" ;;
	*.ko.gz)	gzip -dc "$f" > "$stage/lib/modules/$name.ko" ;;
	*)		cp "$f" "$stage/lib/modules/$name.ko" ;;
	esac
	echo "$name" >> "$stage/lib/modules/order.names"
	echo "$name.ko" >> "$stage/lib/modules/order"
}
for m in $modules_wanted; do
	add_module "$m"
done
rm -f "$stage/lib/modules/order.names"

cp "$kroot"/boot/vmlinuz-* "$cache/vmlinuz.new"
# The bzImage's payload is xz (Debian) or gzip: find it, unpack it, and
# keep it if it is an ELF image with a PVH note (type 0x12).
rm -f "$cache/vmlinux.new"
for fmt in xz gzip; do
	case $fmt in
	xz)	magic='\xfd7zXZ\x00'; unpack='xz -dc --single-stream' ;;
	gzip)	magic='\x1f\x8b\x08\x00'; unpack='gzip -dc' ;;
	esac
	off=$(LC_ALL=C grep -obUaP "$magic" "$cache/vmlinuz.new" 2>/dev/null |
	      head -n 1 | cut -d: -f1)
	[ -n "$off" ] || continue
	tail -c +$((off + 1)) "$cache/vmlinuz.new" | $unpack \
		> "$cache/vmlinux.new" 2>/dev/null
	if readelf -n "$cache/vmlinux.new" 2>/dev/null |
	   grep -q 'Xen.*(0x00000012)'; then
		break
	fi
	rm -f "$cache/vmlinux.new"
done
if [ -f "$cache/vmlinux.new" ]; then
	mv "$cache/vmlinux.new" "$cache/kernel.new"
	kind="vmlinux (PVH)"
else
	cp "$cache/vmlinuz.new" "$cache/kernel.new"
	kind="bzImage"
fi
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	gzip -1 > "$cache/initramfs.gz.new"
mv "$cache/vmlinuz.new" "$cache/vmlinuz"
mv "$cache/kernel.new" "$cache/kernel"
mv "$cache/initramfs.gz.new" "$cache/initramfs.gz"
echo "$kver" > "$cache/kernel-version"
rm -rf "$kroot"
echo "build.sh: guest kernel $kver as $kind, modules: $(tr '\n' ' ' < "$stage/lib/modules/order")" >&2
