#!/bin/bash
# Reference run: the upstream TCP-AO selftests of the 6.12 tree on the peer
# kernel. If these fail, the peer is not a trustworthy interop partner.
# IPv4 and IPv6 variants run one VM after the other: some tests wait a
# fixed time for a SYN (connect-deny), which a loaded host can miss. A
# failing program is also run once more; what failed first is reported.
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
		env RETRY=1 "$REPO/workbench/run-tests.sh" "$res/$af/tap" 300 $progs \
		>"$LOGS/peer-tcp_ao-$af.log" 2>&1 || rc=$?
done
"$REPO/workbench/tapcount.py" peer-tcp_ao "$res"/*/tap/*.tap || rc=1
for f in "$res"/*/tap/*.first-run; do
	if [ -e "$f" ]; then
		note "peer tcp_ao: $(basename "$f" .first-run) failed its first run: $(grep -m1 '^not ok' "$f" || true)"
	fi
done
[ $rc = 0 ] || note "peer tcp_ao: see $LOGS/peer-tcp_ao-ipv4.log and -ipv6.log"
exit $rc
