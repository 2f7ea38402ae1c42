#!/bin/bash
# Boot the kernel package of make deb under qemu (TCG, 2 vCPUs) with the
# package's own modules, as a Debian 12 router would run it, and run a
# smoke subset of our selftests on it:
#   deb-check.sh         (DEB_FLAVOUR as for deb.sh)
# The host root is mounted over 9p; an initrd made here loads the 9p and
# virtio modules first (Debian builds them as modules).
. "$(dirname "$0")/lib.sh"

need_pkgs busybox-static qemu-system-x86 cpio kmod
flavour=${DEB_FLAVOUR:-amd64}
release=$(cat "$BUILD/deb/$flavour/include/config/kernel.release" 2>/dev/null) ||
	die "no package build: run 'make deb' first"
deb=$(ls "$BUILD"/deb/linux-image-"$release"_*.deb 2>/dev/null | tail -n1)
[ -f "$deb" ] || die "no linux-image package for $release: run 'make deb' first"

root=$BUILD/deb/boot-$release
rm -rf "$root" "$root.initrd.d"
dpkg-deb -x "$deb" "$root"
mods=$root/lib/modules/$release
[ -d "$mods" ] || die "$deb holds no lib/modules/$release"
depmod -b "$root" "$release"

# The initrd: busybox, the modules for 9p over virtio with what they need.
ird=$root.initrd.d
mkdir -p "$ird/bin"
cp /bin/busybox "$ird/bin/busybox"
cp "$REPO/workbench/deb/initrd-init" "$ird/init"
# -a: every name is a module (without it, the names after the first are
# taken for its parameters). Each module once, dependencies first.
modprobe -a -d "$root" -S "$release" --show-depends 9pnet_virtio 9p virtio_pci |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$ird/list"
[ -s "$ird/list" ] || die "no 9p/virtio modules found in $deb"
while read -r m; do
	mkdir -p "$ird/$(dirname "${m#$root}")"
	cp "$m" "$ird/${m#$root}"
	echo "${m#$root}"
done <"$ird/list" >"$ird/modules.load"
rm "$ird/list"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$root.initrd"

# For a host root without /lib/modules (see initrd-init): modprobe on the
# unpacked package, which the VM sees at the same path.
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$root" >"$BUILD/deb/modprobe-$release"
chmod +x "$BUILD/deb/modprobe-$release"

sel=$BUILD/selftests
for p in sockopt connect policy keys; do
	[ -x "$sel/$p" ] || die "no $sel/$p: run 'make deb-check', which builds them"
done
res=$BUILD/vm/deb-check
rm -rf "$res"
mkdir -p "$res"
note "booting $(basename "$deb") (qemu TCG, 2 vCPUs)"
rc=0
"$REPO/workbench/vm.sh" -k x86 -K "$root/boot/vmlinuz-$release" -c 2 -m 2G -t 3000 \
	-n deb-check -o "$res" --initrd "$root.initrd" --modules "$mods" --leakcheck -- \
	env TCP_AUTHOPT_FRESH_BOOT=1 TCP_AUTHOPT_XFER_DIV=8 \
	"$REPO/workbench/run-tests.sh" "$res" 1500 \
	"$sel/sockopt" "$sel/connect" "$sel/policy" "$sel/keys" >"$res/run.log" 2>&1 || rc=$?
grep -E '^Linux version|vm\[' "$res/run.log" || true
for p in sockopt connect policy keys; do
	[ -f "$res/$p.tap" ] || printf '# run: %s\n# exit: 125 %s\n' "$p" "$p" >"$res/$p.tap"
done
# A splat, a leak or a crash fails the run even when every case passed.
if [ $rc != 0 ]; then
	echo "# vm-fail: $rc deb-check" >>"$res/keys.tap"
	grep -E 'LEAK|splat|no exit marker' "$res/run.log" | head -n 5 | sed 's/^/# /' >>"$res/keys.tap"
fi
"$REPO/workbench/tapcount.py" deb "$res"/sockopt.tap "$res"/connect.tap \
	"$res"/policy.tap "$res"/keys.tap
