#!/bin/bash
# The series must build, warning-free at W=1, with the options it depends
# on or touches turned off one at a time, on UML and x86_64:
#   build-matrix.sh [ARCH:VARIANT...]   (default: every pair below)
# Each variant is our small test config (Kconfig.fragment plus the VM
# fragment, no debug options) with one option off, built whole; then the
# objects of the files the series adds or changes are built again at W=1
# and with sparse. A warning there (compiler, kernel-doc or sparse) fails
# the variant, as does a variant whose option did not end up off.
. "$(dirname "$0")/lib.sh"

need_pkgs build-essential flex bison bc libelf-dev libssl-dev ccache sparse
[ -d "$TREE/.git" ] || die "no $TREE: run 'make tree' first"
variants="base TCP_AUTHOPT IPV6 TCP_MD5SIG PROC_FS SYSCTL SYN_COOKIES"
pairs=${*:-$(for a in um x86_64; do for v in $variants; do echo "$a:$v"; done; done)}
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/tcp-authopt-ccache} CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=true

# The C files the series adds or changes: their warnings are ours.
ours=$(git -C "$TREE" diff --name-only base HEAD -- '*.c' '*.h' | grep -v '^tools/')
ours_re=$(echo "$ours" | sed 's/[.]/[.]/g' | paste -sd'|')

rc=0
for pair in $pairs; do
	arch=${pair%%:*} var=${pair#*:}
	out=$BUILD/matrix/$arch-$var
	log=$LOGS/matrix-$arch-$var.log
	mkdir -p "$out" "$LOGS"
	case $arch in
	um) base=defconfig frag=$REPO/workbench/config/uml.config ;;
	x86_64) base=tinyconfig frag=$REPO/workbench/config/x86.config ;;
	*) die "unknown arch $arch" ;;
	esac
	off=$out/variant.config
	if [ "$var" = base ]; then : >"$off"; else echo "CONFIG_$var=n" >"$off"; fi
	kmake() { make -s -C "$TREE" O="$out" ARCH="$arch" CC="ccache gcc" "$@"; }
	{
		kmake "$base" &&
			KCONFIG_CONFIG=$out/.config "$TREE/scripts/kconfig/merge_config.sh" -m -O "$out" \
				"$out/.config" "$REPO/Kconfig.fragment" "$frag" "$off" &&
			kmake olddefconfig
	} >"$log" 2>&1 || { echo "FAILED $pair: config (log: $log)"; rc=1; continue; }
	if [ "$var" != base ] && grep -q "^CONFIG_$var=" "$out/.config"; then
		echo "FAILED $pair: CONFIG_$var is still $(grep "^CONFIG_$var=" "$out/.config" | cut -d= -f2)" \
			"(selected by another option)"
		rc=1
		continue
	fi
	t0=$(date +%s)
	if ! kmake -j"$(nproc)" >>"$log" 2>&1; then
		tail -n 20 "$log"
		echo "FAILED $pair: build (log: $log)"
		rc=1
		continue
	fi
	# Our objects that this config builds, again at W=1, then sparse:
	# W=1 over the whole base kernel would bury them in its own reports.
	objs=$(for f in $ours; do o=${f%.c}.o; [ -f "$out/$o" ] && echo "$o"; done)
	if [ -n "$objs" ]; then
		(cd "$out" && rm -f $objs)
		kmake W=1 $objs >>"$log" 2>&1 && kmake C=2 $objs >>"$log" 2>&1 ||
			{ echo "FAILED $pair: W=1/sparse build of our objects (log: $log)"; rc=1; continue; }
	fi
	warn=$(grep -E "(^|/)($ours_re):[0-9]+(:[0-9]+)?: (warning|error)" "$log" | sort -u)
	if [ -n "$warn" ]; then
		echo "$warn"
		echo "FAILED $pair: $(echo "$warn" | wc -l) warnings in our files"
		rc=1
	else
		echo "ok $pair: built in $(($(date +%s) - t0)) s, $(echo "$objs" | grep -c .) of our objects sparse-checked," \
			"tcp_authopt $(grep -q '^CONFIG_TCP_AUTHOPT=y' "$out/.config" && echo on || echo off)"
	fi
done
exit $rc
