#!/bin/bash
# Debian packages of the series, built on Debian's own 6.1 configuration
# (package linux-config-6.1) with CONFIG_TCP_AUTHOPT=y:
#   deb.sh            -> build/deb/linux-image-*.deb, linux-headers-*.deb
# DEB_FLAVOUR picks the configuration (amd64, the default, for hardware
# routers; cloud-amd64 for virtual ones). Differences from Debian's own
# build, and why:
#   - no debug information (Debian ships it in a separate -dbg package):
#     it doubles the build and needs pahole for BTF; DEB_DEBUG_INFO=1
#     keeps Debian's setting;
#   - modules signed with a key made for this build, not Debian's.
# The build runs at the lowest CPU and I/O priority: it takes hours on two
# cores, and make resumes where an interrupted run stopped. It builds from
# its own checkout of the assembled series (build/deb/src), so that work
# in build/linux meanwhile never leaks into a package.
. "$(dirname "$0")/lib.sh"

flavour=${DEB_FLAVOUR:-amd64}
need_pkgs build-essential flex bison bc libelf-dev libssl-dev cpio kmod rsync \
	dpkg-dev fakeroot xz-utils linux-config-6.1
config=/usr/src/linux-config-6.1/config.amd64_none_$flavour.xz
[ -f "$config" ] || die "no Debian configuration $config (DEB_FLAVOUR=$flavour)"
[ -f "$TREE/Makefile" ] || die "no source at $TREE: run 'make tree' first"

# The series as assembled (make tree), not uncommitted work in build/linux.
rev=$(git -C "$TREE" config tcpauthopt.assembled) || die "build/linux was not assembled by make tree"
src=$BUILD/deb/src
if [ ! -f "$src/Makefile" ]; then
	rm -rf "$src"
	git -C "$TREE" worktree prune
	git -C "$TREE" worktree add -q --detach "$src" "$rev"
else
	# Only files that changed get a new mtime: the build stays incremental.
	git -C "$src" checkout -q --detach "$rev"
fi

out=$BUILD/deb/$flavour
mkdir -p "$out" "$LOGS"
frag=$out/tcp-authopt.config
{
	echo "CONFIG_TCP_AUTHOPT=y"
	echo 'CONFIG_LOCALVERSION="-tcp-authopt"'
	if [ "${DEB_DEBUG_INFO:-0}" = 0 ]; then
		echo "# CONFIG_DEBUG_INFO is not set"
		echo "CONFIG_DEBUG_INFO_NONE=y"
	fi
} >"$frag.new"
# LOCALVERSION set (empty) keeps setlocalversion from adding "+" for a git tree.
kmake() { nice -n 19 ionice -c 3 make -s -C "$src" O="$out" LOCALVERSION= "$@"; }

stamp=$( (sha1sum "$config"; cat "$frag.new") | sha1sum | cut -c1-12)
if [ "$(cat "$out/.config-stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$out/.config" ]; then
	note "configuring from $(basename "$config") + CONFIG_TCP_AUTHOPT=y"
	mv "$frag.new" "$frag"
	xzcat "$config" >"$out/.config"
	KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "$frag" >/dev/null
	kmake olddefconfig >/dev/null
	for opt in CONFIG_TCP_AUTHOPT=y CONFIG_TCP_MD5SIG=y CONFIG_NET_VRF=m; do
		grep -qxF "$opt" "$out/.config" || die "config: wanted $opt"
	done
	echo "$stamp" >"$out/.config-stamp"
fi
rm -f "$frag.new"

release=$(kmake -s kernelrelease)
note "building $release packages ($(nproc) jobs, nice 19), log: $LOGS/build-deb-$flavour.log"
start=$(date +%s)
if ! kmake -j"$(nproc)" KDEB_PKGVERSION="$release-1" bindeb-pkg \
	>"$LOGS/build-deb-$flavour.log" 2>&1; then
	tail -n 40 "$LOGS/build-deb-$flavour.log"
	die "package build failed"
fi
note "packages built in $(($(date +%s) - start)) s:"
ls -l "$BUILD"/deb/*"$release"*.deb
