#!/bin/bash
# Configure and build one kernel out of tree, with ccache:
#   uml   our series, ARCH=um             -> build/uml/linux
#   x86   our series, x86_64 SMP debug kernel for qemu -> build/x86/arch/x86/boot/bzImage
#   peer  linux-source-6.12, ARCH=um with upstream CONFIG_TCP_AO -> build/peer/linux
#   uml-bench  our series, ARCH=um without debug options, with the MAC benchmark
#         -> build/uml-bench/linux (make bench: debug figures mean nothing)
# Config: a small base config plus fragments; every option a fragment asks
# for must end up set as asked, or the build stops (a silently dropped
# CONFIG_TCP_AUTHOPT=y would make every test meaningless).
. "$(dirname "$0")/lib.sh"

kind=${1:?usage: kernel.sh uml|x86|peer}
need_pkgs build-essential flex bison bc libelf-dev libssl-dev ccache python3 cpio

case "$kind" in
uml)
	src=$TREE arch=um base=defconfig
	frags="$REPO/Kconfig.fragment $REPO/workbench/config/uml.config $REPO/workbench/config/debug.config"
	;;
uml-bench)
	src=$TREE arch=um base=defconfig
	frags="$REPO/Kconfig.fragment $REPO/workbench/config/uml.config $REPO/workbench/config/bench.config"
	;;
x86)
	src=$TREE arch=x86_64 base=tinyconfig
	frags="$REPO/Kconfig.fragment $REPO/workbench/config/x86.config $REPO/workbench/config/x86-debug.config"
	;;
peer)
	pkg=$(base_field peer_package)
	# Unpacked again whenever the UML fixes for this host change.
	fixes=$(cat "$REPO"/workbench/uml-host/*.patch | sha1sum | cut -c1-12)
	if [ "$(cat "$PEER_TREE/.uml-host-fixed" 2>/dev/null)" != "$fixes" ]; then
		rm -rf "$PEER_TREE"
		note "unpacking $pkg"
		unpack_source "$pkg" "$PEER_TREE"
		for p in "$REPO"/workbench/uml-host/*.patch; do
			patch -s -d "$PEER_TREE" -p1 <"$p" || die "$p does not apply to $pkg"
		done
		echo "$fixes" >"$PEER_TREE/.uml-host-fixed"
	fi
	src=$PEER_TREE arch=um base=defconfig
	frags="$REPO/workbench/config/peer.config $REPO/workbench/config/uml.config"
	;;
*) die "unknown kernel $kind" ;;
esac
[ -f "$src/Makefile" ] || die "no source at $src: run 'make tree' first"
out=$BUILD/$kind
mkdir -p "$out" "$LOGS"
extra=${KCONFIG_EXTRA:-}

export CCACHE_DIR=${CCACHE_DIR:-/var/cache/tcp-authopt-ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
export CCACHE_BASEDIR=$BUILD
# Objects with debug info name their build directory; without this, a
# clone elsewhere (CI checks out under another path) never hits the cache.
export CCACHE_NOHASHDIR=true
mkdir -p "$CCACHE_DIR"
kmake() { make -s -C "$src" O="$out" ARCH="$arch" CC="ccache gcc" "$@"; }

# Reconfigure only when an input changed, so rebuilds stay incremental.
stamp=$(cat $frags $extra /dev/null | sha1sum | cut -c1-12)-$base
if [ "$(cat "$out/.config-stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$out/.config" ]; then
	note "configuring $kind ($base + $(echo $frags $extra | xargs -n1 basename | tr '\n' ' '))"
	kmake "$base" >/dev/null
	KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" $frags $extra >/dev/null
	kmake olddefconfig >/dev/null
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n) opt=${line%=n}
			grep -q "^$opt=" "$out/.config" && { echo "config: $opt is set, wanted off"; bad=1; } ;;
		CONFIG_*) grep -qxF "$line" "$out/.config" || { echo "config: wanted $line, got: $(grep "^${line%%=*}=" "$out/.config" || echo unset)"; bad=1; } ;;
		esac
	done < <(cat $frags $extra | sed 's/[[:space:]]*#.*//' | grep '^CONFIG_')
	[ $bad = 0 ] || die "$kind config does not hold what the fragments ask (see above)"
	echo "$stamp" >"$out/.config-stamp"
fi

note "building $kind kernel ($(nproc) jobs), log: $LOGS/build-$kind.log"
if ! kmake -j"$(nproc)" ${KBUILD_ARGS:-} >"$LOGS/build-$kind.log" 2>&1; then
	tail -n 40 "$LOGS/build-$kind.log"
	die "$kind kernel build failed"
fi
if grep -E 'warning:' "$LOGS/build-$kind.log" | grep -E 'tcp_authopt' >&2; then
	die "$kind kernel: warnings in our code (above)"
fi
note "$kind kernel ready in $out"
