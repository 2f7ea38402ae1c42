#!/bin/bash
# Reference run: the upstream TCP-AO selftests of the 6.12 tree on the peer
# kernel. If these fail, the peer is not a trustworthy interop partner.
# Each program runs alone in a fresh VM (two VMs at a time): some upstream
# tests wait a fixed second for a SYN (connect-deny), which UML missed now
# and then after heavier tests in the same VM. There is no retry: a
# failure counts.
. "$(dirname "$0")/lib.sh"

[ -x "$BUILD/peer/linux" ] || die "no peer kernel: run 'make peer' first"
src=$PEER_TREE/tools/testing/selftests/net/tcp_ao
hdr=$BUILD/peer-headers
bin=$BUILD/peer-tcp_ao
if [ ! -f "$hdr/usr/include/linux/tcp.h" ]; then
	make -s -C "$PEER_TREE" O="$hdr" ARCH=x86 headers >/dev/null
fi
make -s -C "$src" OUTPUT="$bin" KHDR_INCLUDES="-isystem $hdr/usr/include" \
	>"$LOGS/peer-tcp_ao-build.log" 2>&1 || { tail -n 30 "$LOGS/peer-tcp_ao-build.log"; die "tcp_ao selftests build failed"; }

res=$BUILD/vm/peer-tcp_ao
"$REPO/workbench/vm-each.sh" peer "$res" 600 -- "$bin"/*_ipv4 "$bin"/*_ipv6 \
	2>"$LOGS/peer-tcp_ao.log"
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
rc=0
"$REPO/workbench/tapcount.py" peer_tcp_ao "$res"/tap/*.tap || rc=1
[ $rc = 0 ] || note "peer tcp_ao: see $res/*.log"
exit $rc
