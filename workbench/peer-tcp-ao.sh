#!/bin/bash
# Reference run: the upstream TCP-AO selftests of the 6.12 tree on the peer
# kernel. If these fail, the peer is not a trustworthy interop partner.
# IPv4 and IPv6 variants run one VM after the other. Some upstream tests
# wait a fixed second for a SYN (connect-deny), which UML misses now and
# then after the heavier tests before it: a program that fails is run once
# more, alone in a fresh VM, and what failed first is reported.
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
rm -rf "$res"
rc=0
for af in ipv4 ipv6; do
	progs=$(ls "$bin"/*_"$af")
	"$REPO/workbench/vm.sh" -k peer -n "peer-tcp_ao-$af" -o "$res/$af" -t 1500 -- \
		"$REPO/workbench/run-tests.sh" "$res/$af/tap" 300 $progs \
		>"$LOGS/peer-tcp_ao-$af.log" 2>&1 || rc=$?
done
for tap in "$res"/*/tap/*.tap; do
	grep -qE '^not ok|^# exit: [^04]' "$tap" || continue
	name=$(basename "$tap" .tap)
	mv "$tap" "$res/$name.first-run"
	"$REPO/workbench/vm.sh" -k peer -n "peer-tcp_ao-retry" -o "$res/retry-$name" -t 600 -- \
		"$REPO/workbench/run-tests.sh" "$res/retry-$name" 300 "$bin/$name" \
		>>"$LOGS/peer-tcp_ao-retry.log" 2>&1 || rc=$?
	mv "$res/retry-$name/$name.tap" "$tap" ||
		echo "not ok 1 $name: no output from its second run" >"$tap"
done
"$REPO/workbench/tapcount.py" peer_tcp_ao "$res"/*/tap/*.tap || rc=1
for f in "$res"/*.first-run; do
	if [ -e "$f" ]; then
		note "peer tcp_ao: $(basename "$f" .first-run) failed its first run: $(grep -m1 '^not ok' "$f" || true)"
	fi
done
[ $rc = 0 ] || note "peer tcp_ao: see $LOGS/peer-tcp_ao-ipv4.log and -ipv6.log"
exit $rc
