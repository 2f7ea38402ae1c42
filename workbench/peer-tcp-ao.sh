#!/bin/bash
# The upstream TCP-AO selftests of the 6.12 tree, built against 6.12's
# headers, on one kernel:
#   peer-tcp-ao.sh [peer|uml]
# peer (the default) is the reference run: if these fail, the peer is not a
# trustworthy interop partner. uml runs the same binaries on our kernel,
# as a daemon built for Linux 6.7+ would run on it, with two differences,
# both for what is not TCP-AO: an LD_PRELOAD shim gives their lib/repair.c
# the struct tcp_info length of 6.12 (upstream-tcp-ao/tcpinfo-shim.c), and
# the failures listed in upstream-tcp-ao/exceptions, with their reasons,
# are reported as skips (upstream-tcp-ao/except.py); any other failure
# fails.
# Each program runs alone in a fresh VM (two VMs at a time): some upstream
# tests wait a fixed second for a SYN (connect-deny), which UML missed now
# and then after heavier tests in the same VM. There is no retry: a
# failure counts.
. "$(dirname "$0")/lib.sh"

kind=${1:-peer}
[ -x "$BUILD/$kind/linux" ] || die "no $kind kernel: run 'make $kind' first"
src=$PEER_TREE/tools/testing/selftests/net/tcp_ao
hdr=$BUILD/peer-headers
bin=$BUILD/peer-tcp_ao
if [ ! -f "$hdr/usr/include/linux/tcp.h" ]; then
	make -s -C "$PEER_TREE" O="$hdr" ARCH=x86 headers >/dev/null
fi
make -s -C "$src" OUTPUT="$bin" KHDR_INCLUDES="-isystem $hdr/usr/include" \
	>"$LOGS/peer-tcp_ao-build.log" 2>&1 || { tail -n 30 "$LOGS/peer-tcp_ao-build.log"; die "tcp_ao selftests build failed"; }

res=$BUILD/vm/$kind-tcp_ao
env=()
if [ "$kind" = uml ]; then
	gcc -Wall -O2 -shared -fPIC -o "$bin/tcpinfo-shim.so" \
		"$REPO/workbench/upstream-tcp-ao/tcpinfo-shim.c" -ldl || die "tcpinfo shim build failed"
	env=(--env "LD_PRELOAD=$bin/tcpinfo-shim.so")
fi
"$REPO/workbench/vm-each.sh" "$kind" "$res" 600 "${env[@]}" -- "$bin"/*_ipv4 "$bin"/*_ipv6 \
	2>"$LOGS/$kind-tcp_ao.log"
# Each upstream program plans one result more than its own tests: the
# ftrace check of lib/ftrace-tcp.c, reported from the tracer's destructor.
# UML has no ftrace, so tracefs does not mount (ENODEV), no tracer exists
# and that result is never printed. Report it as the skip it is, only when
# the program says so and exactly that one result is missing; any other
# shortfall still fails the plan check.
for t in "$res"/tap/*.tap; do
	grep -q 'failed to mount_ftrace(): -19$' "$t" || continue
	missing=$(sed -n 's/^# Planned tests != run tests (\([0-9]*\) != \([0-9]*\))$/\1 \2/p' "$t")
	set -- $missing
	[ $# = 2 ] && [ "$1" = $(($2 + 1)) ] || continue
	sed -i "/^# Planned tests != run tests/a ok $1 ftrace trace-event check # SKIP UML kernel has no ftrace" "$t"
done
if [ "$kind" = uml ]; then
	/usr/bin/python3 "$REPO/workbench/upstream-tcp-ao/except.py" \
		"$REPO/workbench/upstream-tcp-ao/exceptions" "$res"/tap/*.tap
fi
rc=0
# The names of check.sh's stages.
case $kind in
peer) name=peer_tcp_ao ;;
uml) name=upstream_tcp_ao ;;
*) name=upstream_tcp_ao_on_$kind ;;
esac
"$REPO/workbench/tapcount.py" "$name" "$res"/tap/*.tap || rc=1
[ $rc = 0 ] || note "$name: see $res/*.log"
exit $rc
